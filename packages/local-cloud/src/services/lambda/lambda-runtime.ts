import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { InvokeResult, LambdaError, LambdaInvoker, QueueSender, TopicPublisher } from '../../contracts';
import { AwsServiceError, DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../../edge/aws-service';
import { AsyncInvocationQueue } from './async-invocations';
import { DeployedFunction, type EnvironmentsMemory } from './deployed-function';
import { describeDirectory, pruneUnpacked, unpackZip } from './function-code';
import {
  type EventInvokeConfig,
  type FunctionDefinition,
  resolveDefinition,
  withEventInvokeConfig,
} from './function-definition';
import { FunctionLog, hostConsole, type LogConsole } from './function-log';
import {
  DEFAULT_FUNCTION_CREDENTIALS,
  FUNCTION_VERSION,
  type FunctionCredentials,
  logGroupName,
  runtimeEnvironment,
} from './runtime-environment';
import type { SandboxSpec } from './sandbox';

export interface LambdaRuntimeOptions {
  /** Where unpacked code (`functions/`), logs (`logs/`) and the pending async events live. */
  dataDir: string;
  /** The edge endpoint functions reach AWS through, as their `AWS_ENDPOINT_URL`; read when an environment starts. */
  endpointUrl?: string | (() => string | undefined);
  /** Delivers to SQS destinations and dead-letter queues. */
  queueSender?: QueueSender;
  /** Delivers to SNS destinations and dead-letter topics. */
  topicPublisher?: TopicPublisher;
  /** Waits before each retry of a failed asynchronous invocation. AWS waits about 1 and 2 minutes; default 1 s, 2 s. */
  retryDelaysMs?: number[];
  /** Environments a function without reserved concurrency runs at once (default 10); more invocations wait. */
  defaultConcurrency?: number;
  /** An environment idle this long is ended (default 10 minutes). */
  idleTimeoutMs?: number;
  /** The least time the init phase may take (default 10 s, as Lambda); a longer function timeout extends it. */
  initTimeoutMs?: number;
  /** The credentials functions get (any value works locally). */
  credentials?: FunctionCredentials;
  /** Where function log lines go besides the log files: the host's stdout by default, `false` for nowhere. */
  console?: LogConsole | false;
}

/** A function as the Lambda API describes it (GetFunctionConfiguration, ListFunctions). */
export interface FunctionConfiguration {
  FunctionName: string;
  FunctionArn: string;
  Runtime: string;
  Role?: string;
  Handler: string;
  CodeSize: number;
  Description: string;
  Timeout: number;
  MemorySize: number;
  LastModified: string;
  CodeSha256: string;
  Version: string;
  Environment: { Variables: Record<string, string> };
  DeadLetterConfig?: { TargetArn: string };
  TracingConfig: { Mode: 'PassThrough' };
  RevisionId: string;
  State: 'Active';
  LastUpdateStatus: 'Successful';
  PackageType: 'Zip';
  Architectures: string[];
  EphemeralStorage: { Size: number };
  LoggingConfig: { LogFormat: 'Text'; LogGroup: string };
}

/** Where a function's code is and how much concurrency it reserves (GetFunction). */
export interface FunctionDetails {
  configuration: FunctionConfiguration;
  /** The zip the code came from, or the directory it runs from. */
  codeLocation: string;
  reservedConcurrency?: number;
}

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

export interface InvokeOptions {
  type?: InvocationType;
  /** A version or alias, as Invoke's `Qualifier` parameter; the function name may carry one too. */
  qualifier?: string;
  /** The decoded `X-Amz-Client-Context`: the context's `clientContext`. */
  clientContext?: unknown;
  /** Answer TooManyRequestsException when a function with reserved concurrency has no room, as the Invoke API does. */
  throttle?: boolean;
  /** The payload was produced by a JSON serialiser in this process: it is not parsed again to be checked. */
  trustedJson?: boolean;
}

/** An invocation's answer, as the Invoke API gives it. */
export interface InvocationResponse {
  requestId: string;
  statusCode: 200 | 202 | 204;
  executedVersion: string;
  /** The result or the error as JSON text (RequestResponse only). */
  payload?: string;
  functionError?: 'Unhandled';
  /** This invocation's log lines (RequestResponse only). */
  logLines?: string[];
}

/** Invoke's payload limits: 6 MB synchronous (request and response), 1 MB asynchronous. */
export const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
export const ASYNC_PAYLOAD_LIMIT = 1024 * 1024;

const FUNCTION_REFERENCE =
  /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:|(\d{12}):function:)?([a-zA-Z0-9_-]{1,64})(?::([a-zA-Z0-9_$-]{1,128}))?$/;

function notFound(arn: string): AwsServiceError {
  return new AwsServiceError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
}

/** `2019-08-14T22:26:11.234+0000`, the form of LastModified. */
function lastModified(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

interface FunctionMetadata {
  generation: string;
  lastModified: Date;
  revisionId: string;
}

/**
 * The local Lambda service: a registry of functions created from their packaged code, each run in worker-thread
 * execution environments (see `DeployedFunction` and `Sandbox`), invoked synchronously or through the asynchronous
 * invocation queue (`AsyncInvocationQueue`). It is the `LambdaInvoker` the other local services call; `LambdaApi`
 * serves it on the edge endpoint.
 */
export class LambdaRuntime implements LambdaInvoker {
  private readonly functions = new Map<string, DeployedFunction>();
  private readonly metadata = new Map<string, FunctionMetadata>();
  private readonly qualifiers = new Map<string, Set<string>>();
  private readonly eventInvokeConfigs = new Map<string, EventInvokeConfig>();
  private readonly logs = new Map<string, FunctionLog>();
  private readonly creating = new Map<string, Promise<unknown>>();
  private readonly queue: AsyncInvocationQueue;
  private readonly functionsDir: string;
  private readonly logsDir: string;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: LambdaRuntimeOptions) {
    this.functionsDir = join(options.dataDir, 'functions');
    this.logsDir = join(options.dataDir, 'logs');
    this.queue = new AsyncInvocationQueue(
      {
        definition: (name) => this.functions.get(name)?.definition,
        run: (name, request) => {
          const fn = this.functions.get(name);
          if (!fn) return Promise.reject(notFound(name));
          return fn.run(request, false, true);
        },
        log: (name, line) => this.logFor(name).write(line),
      },
      {
        queueSender: options.queueSender,
        topicPublisher: options.topicPublisher,
        invokeAsync: async (arn, event) => {
          await this.invoke(arn, event, 'Event');
        },
      },
      {
        retryDelaysMs: options.retryDelaysMs ?? [1000, 2000],
        stateFile: join(options.dataDir, 'async-invocations.json'),
      },
    );
  }

  /**
   * Creates a function, or updates it if one of that name exists (CloudFormation's create and update both land
   * here). The code is unpacked (or reused) first; environments of the old code or configuration are replaced from
   * the next invocation on. Creating the same definition again changes nothing.
   */
  createFunction(definition: FunctionDefinition): Promise<FunctionConfiguration> {
    this.assertOpen();
    const name = definition.functionName;
    const previous = this.creating.get(name) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.applyDefinition(definition));
    this.creating.set(name, next);
    return next;
  }

  /**
   * Sets how asynchronous invocations of a function are retried and where their outcome goes, as
   * AWS::Lambda::EventInvokeConfig does; it holds until changed, across later `createFunction` calls.
   */
  putEventInvokeConfig(functionNameOrArn: string, config: EventInvokeConfig): Promise<void> {
    this.assertOpen();
    const name = this.resolve(functionNameOrArn).fn.definition.functionName;
    const previous = this.creating.get(name) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => {
        const { fn } = this.resolve(name);
        fn.reconfigure(withEventInvokeConfig(fn.definition, config));
        this.eventInvokeConfigs.set(name, { ...this.eventInvokeConfigs.get(name), ...config });
      });
    this.creating.set(name, next);
    return next;
  }

  /** Deletes a function: its environments end, its queued asynchronous events are dropped. */
  async deleteFunction(functionNameOrArn: string): Promise<void> {
    const { fn } = this.resolve(functionNameOrArn);
    const name = fn.definition.functionName;
    this.functions.delete(name);
    this.metadata.delete(name);
    this.qualifiers.delete(name);
    this.eventInvokeConfigs.delete(name);
    await fn.close();
  }

  /** Makes a version or alias name (AWS::Lambda::Version, AWS::Lambda::Alias) invoke the function's current code. */
  addQualifier(functionNameOrArn: string, qualifier: string): void {
    const { fn } = this.resolve(functionNameOrArn);
    const name = fn.definition.functionName;
    const known = this.qualifiers.get(name) ?? new Set();
    known.add(qualifier);
    this.qualifiers.set(name, known);
  }

  getFunction(functionNameOrArn: string, qualifier?: string): FunctionDetails {
    const { fn } = this.resolve(functionNameOrArn, qualifier);
    return {
      configuration: this.configuration(fn),
      codeLocation: fn.code.zipFile ?? fn.code.directory,
      reservedConcurrency: fn.definition.reservedConcurrency,
    };
  }

  listFunctions(): FunctionConfiguration[] {
    return [...this.functions.values()]
      .map((fn) => this.configuration(fn))
      .sort((a, b) => (a.FunctionName < b.FunctionName ? -1 : 1));
  }

  /** The `LambdaInvoker` of the other local services: a synchronous call waits for room rather than throttle. */
  async invoke(functionArnOrName: string, event: unknown, type: 'RequestResponse' | 'Event'): Promise<InvokeResult> {
    return this.invokeJson(functionArnOrName, event === undefined ? '' : JSON.stringify(event), type);
  }

  /** {@link invoke} with the event as JSON text, which is not parsed again to be checked. */
  async invokeJson(functionArnOrName: string, json: string, type: 'RequestResponse' | 'Event'): Promise<InvokeResult> {
    const response = await this.invokeFunction(functionArnOrName, json, { type, trustedJson: true });
    if (type === 'Event') return { ok: true, payload: undefined };
    const answer = JSON.parse(response.payload ?? 'null') as unknown;
    if (response.functionError) return { ok: false, error: answer as LambdaError, functionError: 'Unhandled' };
    return { ok: true, payload: answer };
  }

  /**
   * Invokes a function with a JSON payload, as the Invoke API does. Rejects with an AwsServiceError for what the API
   * answers as an error (unknown function, bad payload, throttling); a function error is a response.
   */
  async invokeFunction(
    functionNameOrArn: string,
    payload: string,
    options: InvokeOptions = {},
  ): Promise<InvocationResponse> {
    this.assertOpen();
    const type = options.type ?? 'RequestResponse';
    const { fn, invokedArn, executedVersion } = this.resolve(functionNameOrArn, options.qualifier);
    const limit = type === 'Event' ? ASYNC_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
    if (Buffer.byteLength(payload) > limit) {
      throw new AwsServiceError(
        'RequestTooLargeException',
        `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
        413,
      );
    }
    if (payload !== '' && !options.trustedJson) {
      try {
        JSON.parse(payload);
      } catch (error) {
        throw new AwsServiceError(
          'InvalidRequestContentException',
          `Could not parse request body into json: ${(error as Error).message}`,
          400,
        );
      }
    }
    const requestId = randomUUID();
    if (type === 'DryRun') return { requestId, statusCode: 204, executedVersion };
    if (type === 'Event') {
      this.queue.enqueue({
        requestId,
        functionName: fn.definition.functionName,
        invokedFunctionArn: invokedArn,
        payload,
        queuedAt: Date.now(),
        attempts: 0,
      });
      return { requestId, statusCode: 202, executedVersion };
    }

    const outcome = await fn.run(
      { requestId, payload, invokedFunctionArn: invokedArn, clientContext: options.clientContext },
      options.throttle ?? false,
    );
    let error = outcome.error;
    if (!error && Buffer.byteLength(outcome.payload ?? '') > SYNC_PAYLOAD_LIMIT) {
      error = {
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${SYNC_PAYLOAD_LIMIT} bytes).`,
      };
    }
    return {
      requestId,
      statusCode: 200,
      executedVersion,
      payload: error ? JSON.stringify(error) : (outcome.payload ?? 'null'),
      functionError: error ? 'Unhandled' : undefined,
      logLines: outcome.logLines,
    };
  }

  /**
   * Execution environments running now and the memory they reported, in MB, in all and per function (functions with
   * an environment only): for soak runs.
   */
  environmentsMemory(): EnvironmentsMemory & { byFunction: Record<string, EnvironmentsMemory> } {
    const total = { environments: 0, memoryUsedMb: 0, heapUsedMb: 0 };
    const byFunction: Record<string, EnvironmentsMemory> = {};
    for (const [name, fn] of this.functions) {
      const memory = fn.environmentsMemory();
      if (memory.environments === 0) continue;
      byFunction[name] = memory;
      total.environments += memory.environments;
      total.memoryUsedMb += memory.memoryUsedMb;
      total.heapUsedMb += memory.heapUsedMb;
    }
    return { ...total, byFunction };
  }

  /** Asynchronous invocations accepted and not done yet (queued in memory): the backlog of `Event` invokes. */
  pendingAsyncInvocations(): number {
    return this.queue.pendingCount;
  }

  /**
   * Ends every environment (invocations in flight fail), then persists the asynchronous events not yet done to
   * `<dataDir>/async-invocations.json`; a runtime created later on the same data directory runs them once their
   * function is created again. Destination deliveries already under way are awaited.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.queue.beginClose();
      await Promise.allSettled([...this.creating.values()]);
      await Promise.all([...this.functions.values()].map((fn) => fn.close()));
      await this.queue.close();
      for (const log of this.logs.values()) log.close();
    })();
    return this.closing;
  }

  private async applyDefinition(input: FunctionDefinition): Promise<FunctionConfiguration> {
    const name = input.functionName;
    const definition = withEventInvokeConfig(resolveDefinition(input), this.eventInvokeConfigs.get(name) ?? {});
    const code = definition.zipFile
      ? await unpackZip(definition.zipFile, this.functionsDir, name)
      : await describeDirectory(definition.codeDir as string);
    const generation = createHash('sha256')
      .update(
        JSON.stringify([
          code.sha256,
          code.directory,
          definition.handler,
          definition.runtime,
          definition.environment,
          definition.timeoutSeconds,
          definition.memorySizeMb,
          definition.arn,
        ]),
      )
      .digest('hex');
    const spec: SandboxSpec = {
      definition,
      code,
      generation,
      log: this.logFor(name),
      initTimeoutMs: this.options.initTimeoutMs ?? 10_000,
      environment: (logStreamName) =>
        runtimeEnvironment(
          definition,
          code.directory,
          logStreamName,
          this.endpointUrl(),
          this.options.credentials ?? DEFAULT_FUNCTION_CREDENTIALS,
        ),
    };
    this.assertOpen();

    let fn = this.functions.get(name);
    if (fn) fn.update(spec);
    else {
      fn = new DeployedFunction(spec, {
        defaultConcurrency: this.options.defaultConcurrency ?? 10,
        idleTimeoutMs: this.options.idleTimeoutMs ?? 10 * 60 * 1000,
      });
      this.functions.set(name, fn);
    }
    if (this.metadata.get(name)?.generation !== generation) {
      this.metadata.set(name, { generation, lastModified: new Date(), revisionId: randomUUID() });
    }
    if (definition.zipFile) await pruneUnpacked(this.functionsDir, name, fn.directoriesInUse);
    this.queue.resume(name);
    return this.configuration(fn);
  }

  /** Finds the function a name, partial ARN or ARN (qualified or not) names; throws ResourceNotFoundException. */
  private resolve(reference: string, qualifier?: string) {
    const match = FUNCTION_REFERENCE.exec(reference);
    if (!match) {
      throw new AwsServiceError(
        'ValidationException',
        `1 validation error detected: Value '${reference}' at 'functionName' failed to satisfy constraint: ` +
          'Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?' +
          '(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?',
        400,
      );
    }
    const [, region, arnAccount, partialAccount, name = '', nameQualifier] = match;
    if (qualifier && nameQualifier && qualifier !== nameQualifier) {
      throw new AwsServiceError(
        'InvalidParameterValueException',
        'The derived qualifier from the function name does not match the specified qualifier.',
        400,
      );
    }
    const version = qualifier ?? nameQualifier;
    const account = arnAccount ?? partialAccount;
    const fn = this.functions.get(name);
    const arn =
      fn?.definition.arn ??
      `arn:aws:lambda:${region ?? DEFAULT_REGION}:${account ?? LOCAL_ACCOUNT_ID}:function:${name}`;
    const qualified = version ? `${arn}:${version}` : arn;
    if (
      !fn ||
      (region && region !== fn.definition.region) ||
      (account && account !== fn.definition.account) ||
      (version && version !== FUNCTION_VERSION && !this.qualifiers.get(name)?.has(version))
    ) {
      throw notFound(qualified);
    }
    const executedVersion = version && /^\d+$/.test(version) ? version : FUNCTION_VERSION;
    return { fn, invokedArn: qualified, executedVersion };
  }

  private configuration(fn: DeployedFunction): FunctionConfiguration {
    const definition = fn.definition;
    const metadata = this.metadata.get(definition.functionName) as FunctionMetadata;
    const configuration: FunctionConfiguration = {
      FunctionName: definition.functionName,
      FunctionArn: definition.arn,
      Runtime: definition.runtime,
      Role: definition.role,
      Handler: definition.handler,
      CodeSize: fn.code.size,
      Description: definition.description ?? '',
      Timeout: definition.timeoutSeconds,
      MemorySize: definition.memorySizeMb,
      LastModified: lastModified(metadata.lastModified),
      CodeSha256: fn.code.sha256,
      Version: FUNCTION_VERSION,
      Environment: { Variables: { ...definition.environment } },
      TracingConfig: { Mode: 'PassThrough' },
      RevisionId: metadata.revisionId,
      State: 'Active',
      LastUpdateStatus: 'Successful',
      PackageType: 'Zip',
      Architectures: [definition.architecture ?? 'x86_64'],
      EphemeralStorage: { Size: 512 },
      LoggingConfig: { LogFormat: 'Text', LogGroup: logGroupName(definition.functionName) },
    };
    if (definition.deadLetterTargetArn) configuration.DeadLetterConfig = { TargetArn: definition.deadLetterTargetArn };
    return configuration;
  }

  private logFor(functionName: string): FunctionLog {
    let log = this.logs.get(functionName);
    if (!log) {
      const console = this.options.console === false ? undefined : (this.options.console ?? hostConsole);
      log = new FunctionLog(functionName, this.logsDir, console);
      this.logs.set(functionName, log);
    }
    return log;
  }

  private endpointUrl(): string | undefined {
    const { endpointUrl } = this.options;
    return typeof endpointUrl === 'function' ? endpointUrl() : endpointUrl;
  }

  private assertOpen(): void {
    if (this.closing) throw new AwsServiceError('ServiceException', 'The local Lambda is closed', 500);
  }
}
