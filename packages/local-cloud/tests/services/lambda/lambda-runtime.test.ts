import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import type { InvokeResult } from '../../../src/contracts';
import {
  createRuntime,
  definition,
  functionArn,
  type LocalLambda,
  makeTempDir,
  removeTempDirs,
  writeCode,
} from './lambda-test-kit';

/** Module state survives between warm invocations; `instance` tells environments apart. */
const STATEFUL = `
const instance = Math.random().toString(36).slice(2);
let calls = 0;
exports.handler = async (event) => {
  calls += 1;
  if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
  return { instance, calls };
};`;

function payloadOf(result: InvokeResult): unknown {
  if (!result.ok) throw new Error(`Function failed: ${JSON.stringify(result.error)}`);
  return result.payload;
}

describe('the local Lambda runtime', () => {
  let lambda: LocalLambda;

  beforeEach(() => {
    lambda = createRuntime({ endpointUrl: 'http://127.0.0.1:4566' });
  });

  afterEach(async () => {
    await lambda.close();
  });

  afterAll(() => removeTempDirs());

  it('gives a function exactly its environment, the runtime variables and local AWS settings', async () => {
    // Prepare
    process.env.HOST_ONLY_SECRET = 'must-not-leak';
    const source = 'exports.handler = async () => ({ ...process.env });';
    const fn = definition('env-probe', source, { environment: { TABLE_NAME: 'thresholds' }, memorySizeMb: 512 });
    await lambda.runtime.createFunction(fn);

    // Act
    const result = await lambda.runtime.invoke('env-probe', {}, 'RequestResponse');
    delete process.env.HOST_ONLY_SECRET;

    // Assess
    const env = payloadOf(result) as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual(
      [
        'AWS_ACCESS_KEY',
        'AWS_ACCESS_KEY_ID',
        'AWS_DEFAULT_REGION',
        'AWS_ENDPOINT_URL',
        'AWS_EXECUTION_ENV',
        'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
        'AWS_LAMBDA_FUNCTION_NAME',
        'AWS_LAMBDA_FUNCTION_VERSION',
        'AWS_LAMBDA_INITIALIZATION_TYPE',
        'AWS_LAMBDA_LOG_GROUP_NAME',
        'AWS_LAMBDA_LOG_STREAM_NAME',
        'AWS_REGION',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'LAMBDA_RUNTIME_DIR',
        'LAMBDA_TASK_ROOT',
        'LANG',
        'PATH',
        'TABLE_NAME',
        'TZ',
        '_HANDLER',
      ].sort(),
    );
    expect(env).toMatchObject({
      TABLE_NAME: 'thresholds',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'env-probe',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/env-probe',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      LAMBDA_TASK_ROOT: fn.codeDir,
      _HANDLER: 'index.handler',
    });
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
  });

  it('refuses a function that sets a reserved environment variable', async () => {
    // Act
    const creating = lambda.runtime.createFunction(
      definition('reserved', STATEFUL, { environment: { AWS_REGION: 'eu-west-1' } }),
    );

    // Assess
    await expect(creating).rejects.toMatchObject({
      code: 'InvalidParameterValueException',
      message: expect.stringContaining('Reserved keys used in this request: AWS_REGION'),
    });
  });

  it('hands the handler a Lambda context', async () => {
    // Prepare
    const source = `exports.handler = async (event, context) => ({
      ...context,
      remaining: context.getRemainingTimeInMillis(),
    });`;
    await lambda.runtime.createFunction(definition('context-probe', source, { timeoutSeconds: 5 }));

    // Act
    const result = await lambda.runtime.invoke(`${functionArn('context-probe')}:$LATEST`, {}, 'RequestResponse');

    // Assess
    const context = payloadOf(result) as Record<string, unknown>;
    expect(context).toMatchObject({
      functionName: 'context-probe',
      functionVersion: '$LATEST',
      invokedFunctionArn: `${functionArn('context-probe')}:$LATEST`,
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/context-probe',
      logStreamName: expect.stringContaining('[$LATEST]'),
      awsRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.remaining).toBeGreaterThan(4000);
    expect(context.remaining).toBeLessThanOrEqual(5000);
  });

  it('keeps module state between warm invocations', async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('stateful', STATEFUL));

    // Act
    const first = payloadOf(await lambda.runtime.invoke('stateful', {}, 'RequestResponse'));
    const second = payloadOf(await lambda.runtime.invoke('stateful', {}, 'RequestResponse'));

    // Assess
    expect(second).toEqual({ instance: (first as { instance: string }).instance, calls: 2 });
  });

  it('reports its environments and the memory each reported after its last invocation', async () => {
    // Prepare
    const source = `
      const kept = [];
      exports.handler = async (event) => {
        for (let i = 0; i < event.megabytes; i++) kept.push(Buffer.alloc(1024 * 1024, 1));
        return kept.length;
      };`;
    await lambda.runtime.createFunction(definition('holder', source, { memorySizeMb: 256 }));
    const before = lambda.runtime.environmentsMemory();
    await lambda.runtime.invoke('holder', { megabytes: 0 }, 'RequestResponse');
    const small = lambda.runtime.environmentsMemory();

    // Act
    await lambda.runtime.invoke('holder', { megabytes: 40 }, 'RequestResponse');
    const grown = lambda.runtime.environmentsMemory();

    // Assess
    expect(before).toEqual({ environments: 0, memoryUsedMb: 0, heapUsedMb: 0, byFunction: {} });
    expect(small.environments).toBe(1);
    expect(small.memoryUsedMb).toBeGreaterThan(0);
    expect(small.heapUsedMb).toBeGreaterThan(0);
    expect(grown.environments).toBe(1);
    expect(grown.memoryUsedMb).toBeGreaterThanOrEqual(small.memoryUsedMb + 40);
    expect(grown.byFunction).toEqual({
      holder: { environments: 1, memoryUsedMb: grown.memoryUsedMb, heapUsedMb: grown.heapUsedMb },
    });
  });

  it('times a slow invocation out, ends its environment, and cold-starts the next', async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('stateful', STATEFUL, { timeoutSeconds: 1 }));
    const warm = payloadOf(await lambda.runtime.invoke('stateful', {}, 'RequestResponse')) as { instance: string };

    // Act
    const started = Date.now();
    const timedOut = await lambda.runtime.invoke('stateful', { sleepMs: 5000 }, 'RequestResponse');
    const elapsed = Date.now() - started;
    const after = payloadOf(await lambda.runtime.invoke('stateful', {}, 'RequestResponse')) as { instance: string };

    // Assess
    expect(timedOut).toEqual({
      ok: false,
      functionError: 'Unhandled',
      error: {
        errorType: 'Sandbox.Timedout',
        errorMessage: expect.stringMatching(/^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$/),
      },
    });
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(2500);
    expect(after).toEqual({ instance: expect.any(String), calls: 1 });
    expect(after.instance).not.toBe(warm.instance);
  });

  it('runs concurrent invocations in parallel, each in its own environment', async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('stateful', STATEFUL));

    // Act
    const started = Date.now();
    const [a, b] = await Promise.all([
      lambda.runtime.invoke('stateful', { sleepMs: 800 }, 'RequestResponse'),
      lambda.runtime.invoke('stateful', { sleepMs: 800 }, 'RequestResponse'),
    ]);
    const elapsed = Date.now() - started;

    // Assess
    const first = payloadOf(a) as { instance: string };
    const second = payloadOf(b) as { instance: string };
    expect(first.instance).not.toBe(second.instance);
    expect(elapsed).toBeLessThan(1500);
  });

  it('serves a burst of invocations that compute with about one environment a core, not one per invocation', async () => {
    // Prepare
    const computing = `
      const instance = Math.random().toString(36).slice(2);
      exports.handler = async () => {
        const until = Date.now() + 3;
        while (Date.now() < until);
        return { instance };
      };`;
    await lambda.runtime.createFunction(definition('computing', computing));
    await lambda.runtime.invoke('computing', {}, 'RequestResponse');
    await lambda.runtime.invoke('computing', {}, 'RequestResponse');

    // Act
    const results = await Promise.all(
      Array.from({ length: 40 }, () => lambda.runtime.invoke('computing', {}, 'RequestResponse')),
    );

    // Assess
    const instances = new Set(results.map((result) => (payloadOf(result) as { instance: string }).instance));
    expect(instances.size).toBeLessThanOrEqual(Math.min(10, availableParallelism() + 1));
  });

  it('queues invocations over reserved concurrency instead of running more environments', async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('single', STATEFUL, { reservedConcurrency: 1 }));

    // Act
    const results = await Promise.all([
      lambda.runtime.invoke('single', { sleepMs: 200 }, 'RequestResponse'),
      lambda.runtime.invoke('single', { sleepMs: 200 }, 'RequestResponse'),
    ]);

    // Assess
    const [first, second] = results.map(payloadOf) as { instance: string; calls: number }[];
    expect(second?.instance).toBe(first?.instance);
    expect([first?.calls, second?.calls].sort()).toEqual([1, 2]);
  });

  it('answers a callback-style handler once the event loop is empty, or at once if told not to wait', async () => {
    // Prepare
    const source = `
      exports.handler = (event, context, callback) => {
        context.callbackWaitsForEmptyEventLoop = event.wait;
        const started = Date.now();
        setTimeout(() => {}, 400);
        callback(null, { answeredAfterMs: Date.now() - started });
      };`;
    await lambda.runtime.createFunction(definition('callback', source));

    // Act
    const started = Date.now();
    const waited = await lambda.runtime.invoke('callback', { wait: true }, 'RequestResponse');
    const waitedMs = Date.now() - started;
    const notWaitedStart = Date.now();
    const notWaited = await lambda.runtime.invoke('callback', { wait: false }, 'RequestResponse');
    const notWaitedMs = Date.now() - notWaitedStart;

    // Assess
    expect(payloadOf(waited)).toEqual({ answeredAfterMs: expect.any(Number) });
    expect(waitedMs).toBeGreaterThanOrEqual(400);
    expect(payloadOf(notWaited)).toEqual({ answeredAfterMs: expect.any(Number) });
    expect(notWaitedMs).toBeLessThan(300);
  });

  it('reports a callback error like a thrown one', async () => {
    // Prepare
    const source = 'exports.handler = (event, context, callback) => callback(new TypeError("bad reading"));';
    await lambda.runtime.createFunction(definition('callback-error', source));

    // Act
    const result = await lambda.runtime.invoke('callback-error', {}, 'RequestResponse');

    // Assess
    expect(result).toMatchObject({
      ok: false,
      functionError: 'Unhandled',
      error: { errorType: 'TypeError', errorMessage: 'bad reading' },
    });
  });

  it('turns a crash of the environment into an invocation error and recovers', async () => {
    // Prepare
    const source = `
      exports.handler = async (event) => {
        if (event.exit) process.exit(3);
        if (event.uncaught) setTimeout(() => { throw new RangeError('out of range'); }, 0);
        if (event.uncaught) await new Promise((resolve) => setTimeout(resolve, 1000));
        return 'fine';
      };`;
    await lambda.runtime.createFunction(definition('crashy', source));

    // Act
    const exited = await lambda.runtime.invoke('crashy', { exit: true }, 'RequestResponse');
    const uncaught = await lambda.runtime.invoke('crashy', { uncaught: true }, 'RequestResponse');
    const recovered = await lambda.runtime.invoke('crashy', {}, 'RequestResponse');

    // Assess
    expect(exited).toMatchObject({
      ok: false,
      error: {
        errorType: 'Runtime.ExitError',
        errorMessage: expect.stringMatching(/Error: Runtime exited with error: exit status 3$/),
      },
    });
    expect(uncaught).toMatchObject({ ok: false, error: { errorType: 'RangeError', errorMessage: 'out of range' } });
    expect(recovered).toEqual({ ok: true, payload: 'fine' });
  });

  it('fails an invocation that runs out of memory, and the host carries on', async () => {
    // Prepare
    const source = `
      const kept = [];
      exports.handler = async (event) => {
        if (event.grow) for (;;) kept.push(new Array(1e6).fill(Math.random()));
        return 'small';
      };`;
    await lambda.runtime.createFunction(definition('hungry', source, { memorySizeMb: 128, timeoutSeconds: 10 }));

    // Act
    const exhausted = await lambda.runtime.invoke('hungry', { grow: true }, 'RequestResponse');
    const next = await lambda.runtime.invoke('hungry', {}, 'RequestResponse');

    // Assess
    expect(exhausted).toMatchObject({
      ok: false,
      functionError: 'Unhandled',
      error: { errorType: 'Runtime.OutOfMemory', errorMessage: expect.stringContaining('Runtime exited with error') },
    });
    expect(next).toEqual({ ok: true, payload: 'small' });
  });

  it('reports a module that fails to load, or lacks the handler, as Lambda does', async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('broken', 'throw new Error("config missing");'));
    await lambda.runtime.createFunction(definition('no-handler', 'exports.other = () => 1;'));
    await lambda.runtime.createFunction(definition('no-module', STATEFUL, { handler: 'src/missing.handler' }));

    // Act
    const broken = await lambda.runtime.invoke('broken', {}, 'RequestResponse');
    const noHandler = await lambda.runtime.invoke('no-handler', {}, 'RequestResponse');
    const noModule = await lambda.runtime.invoke('no-module', {}, 'RequestResponse');

    // Assess
    expect(broken).toMatchObject({ ok: false, error: { errorType: 'Error', errorMessage: 'config missing' } });
    expect(noHandler).toMatchObject({
      ok: false,
      error: { errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.handler is undefined or not exported' },
    });
    expect(noModule).toMatchObject({
      ok: false,
      error: {
        errorType: 'Runtime.ImportModuleError',
        errorMessage: expect.stringContaining("Cannot find module 'missing'"),
      },
    });
  });

  it('runs an ES module handler', async () => {
    // Prepare
    const codeDir = writeCode({ 'handler.mjs': 'export const handler = async (event) => ({ doubled: event.n * 2 });' });
    await lambda.runtime.createFunction(definition('esm', '', { codeDir, handler: 'handler.handler' }));

    // Act
    const result = await lambda.runtime.invoke('esm', { n: 21 }, 'RequestResponse');

    // Assess
    expect(result).toEqual({ ok: true, payload: { doubled: 42 } });
  });

  it('runs a packaged zip, unpacked once under the data directory by content hash', async () => {
    // Prepare
    const zip = new AdmZip();
    zip.addFile('src/handlers/evaluate-telemetry.js', Buffer.from(STATEFUL));
    const zipFile = join(makeTempDir('lambda-zip-'), 'alerting.zip');
    zip.writeZip(zipFile);
    const fn = definition('evaluate-telemetry', '', {
      codeDir: undefined,
      zipFile,
      handler: 'src/handlers/evaluate-telemetry.handler',
    });

    // Act
    const created = await lambda.runtime.createFunction(fn);
    const result = await lambda.runtime.invoke('evaluate-telemetry', {}, 'RequestResponse');
    await lambda.runtime.createFunction(fn);
    const again = await lambda.runtime.invoke('evaluate-telemetry', {}, 'RequestResponse');

    // Assess
    const unpacked = readdirSync(join(lambda.dataDir, 'functions', 'evaluate-telemetry'));
    expect(unpacked).toHaveLength(1);
    expect(unpacked[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(
      existsSync(
        join(
          lambda.dataDir,
          'functions',
          'evaluate-telemetry',
          unpacked[0] as string,
          'src/handlers/evaluate-telemetry.js',
        ),
      ),
    ).toBe(true);
    expect(created.CodeSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(payloadOf(result)).toMatchObject({ calls: 1 });
    expect(payloadOf(again)).toMatchObject({ calls: 2 });
  });

  it('unpacks a zip shared by several functions once, and drops the copy once no function uses it', async () => {
    // Prepare
    const packaged = (body: string) => {
      const zip = new AdmZip();
      zip.addFile('src/handlers/a.js', Buffer.from(`exports.handler = async () => 'a ${body}';`));
      zip.addFile('src/handlers/b.js', Buffer.from(`exports.handler = async () => 'b ${body}';`));
      const zipFile = join(makeTempDir('lambda-zip-'), 'service.zip');
      zip.writeZip(zipFile);
      return zipFile;
    };
    const fromZip = (name: string, zipFile: string) =>
      definition(name, '', { codeDir: undefined, zipFile, handler: `src/handlers/${name}.handler` });
    const first = packaged('v1');
    const second = packaged('v2');
    const shared = join(lambda.dataDir, 'functions', '.zips');

    // Act
    await lambda.runtime.createFunction(fromZip('a', first));
    await lambda.runtime.createFunction(fromZip('b', first));
    const copiesOfFirst = readdirSync(shared);
    const answers = [
      await lambda.runtime.invoke('a', {}, 'RequestResponse'),
      await lambda.runtime.invoke('b', {}, 'RequestResponse'),
    ];
    await lambda.runtime.createFunction(fromZip('a', second));
    await lambda.runtime.createFunction(fromZip('b', second));

    // Assess
    expect(copiesOfFirst).toHaveLength(1);
    expect(answers.map(payloadOf)).toEqual(['a v1', 'b v1']);
    expect(readdirSync(shared)).toHaveLength(1);
    expect(readdirSync(shared)).not.toEqual(copiesOfFirst);
    expect(payloadOf(await lambda.runtime.invoke('b', {}, 'RequestResponse'))).toBe('b v2');
  });

  it('replaces the environments when the function is created again with another environment', async () => {
    // Prepare
    const source = `let calls = 0; exports.handler = async () => ({ stage: process.env.STAGE, calls: ++calls });`;
    const fn = definition('configurable', source, { environment: { STAGE: 'one' } });
    await lambda.runtime.createFunction(fn);
    const before = await lambda.runtime.invoke('configurable', {}, 'RequestResponse');

    // Act
    await lambda.runtime.createFunction({ ...fn, environment: { STAGE: 'two' } });
    const after = await lambda.runtime.invoke('configurable', {}, 'RequestResponse');

    // Assess
    expect(payloadOf(before)).toEqual({ stage: 'one', calls: 1 });
    expect(payloadOf(after)).toEqual({ stage: 'two', calls: 1 });
  });

  it('rejects an invocation of an unknown function with ResourceNotFoundException', async () => {
    // Act
    const invoking = lambda.runtime.invoke(functionArn('ghost'), {}, 'Event');

    // Assess
    await expect(invoking).rejects.toMatchObject({
      code: 'ResourceNotFoundException',
      message: `Function not found: ${functionArn('ghost')}`,
    });
  });
});
