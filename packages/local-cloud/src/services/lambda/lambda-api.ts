import { pathToFileURL } from 'node:url';
import { type AwsService, AwsServiceError, type EdgeRequest, type EdgeResponse } from '../../edge/aws-service';
import { matchRoute } from './lambda-routes';
import type { InvocationType, LambdaRuntime } from './lambda-runtime';
import { logTail } from './sandbox';

const INVOCATION_TYPES: InvocationType[] = ['RequestResponse', 'Event', 'DryRun'];

function json(status: number, body: unknown, headers: Record<string, string> = {}): EdgeResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** An error as the Lambda API answers it: the code in `x-amzn-errortype`, `Type` and `message` in the body. */
function errorResponse(error: AwsServiceError): EdgeResponse {
  const body: Record<string, unknown> = { Type: error.status < 500 ? 'User' : 'Service', message: error.message };
  const headers: Record<string, string> = { 'x-amzn-errortype': error.code };
  if (error.code === 'TooManyRequestsException') {
    body.Reason = 'ReservedFunctionConcurrentInvocationLimitExceeded';
    headers['retry-after'] = '1';
  }
  return json(error.status, body, headers);
}

function decodeClientContext(header: string | undefined): unknown {
  if (!header) return undefined;
  try {
    return JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    throw new AwsServiceError(
      'InvalidRequestContentException',
      'Client context must be a valid Base64-encoded JSON object.',
    );
  }
}

/**
 * The Lambda API on the edge endpoint (REST JSON, signing name `lambda`): Invoke (and the old InvokeAsync),
 * GetFunction, GetFunctionConfiguration, GetFunctionConcurrency and ListFunctions. Every other operation of the
 * Lambda API is answered with a NotImplementedException that names it; the functions themselves come from the
 * CloudFormation templates, not from CreateFunction calls.
 */
export class LambdaApi implements AwsService {
  readonly signingName = 'lambda';

  constructor(private readonly runtime: LambdaRuntime) {}

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const route = matchRoute(request.method, request.path.replace(/\/+$/, ''), request.query);
    try {
      const functionName = route?.labels.FunctionName ?? '';
      const qualifier = request.query.get('Qualifier') ?? undefined;
      switch (route?.operation) {
        case 'Invoke':
          return await this.invoke(request, functionName, qualifier);
        case 'InvokeAsync': {
          await this.runtime.invokeFunction(functionName, request.body.toString('utf8'), { type: 'Event' });
          return json(202, { Status: 202 });
        }
        case 'GetFunction': {
          const details = this.runtime.getFunction(functionName, qualifier);
          const body: Record<string, unknown> = {
            Configuration: details.configuration,
            Code: { RepositoryType: 'S3', Location: pathToFileURL(details.codeLocation).href },
          };
          if (details.reservedConcurrency !== undefined) {
            body.Concurrency = { ReservedConcurrentExecutions: details.reservedConcurrency };
          }
          return json(200, body);
        }
        case 'GetFunctionConfiguration':
          return json(200, this.runtime.getFunction(functionName, qualifier).configuration);
        case 'GetFunctionConcurrency': {
          const { reservedConcurrency } = this.runtime.getFunction(functionName);
          return json(
            200,
            reservedConcurrency === undefined ? {} : { ReservedConcurrentExecutions: reservedConcurrency },
          );
        }
        case 'ListFunctions':
          return this.listFunctions(request.query);
        default: {
          const what = route ? route.operation : `${request.method} ${request.path}`;
          throw new AwsServiceError(
            'NotImplementedException',
            `The local cloud's Lambda does not support the operation ${what}`,
            501,
          );
        }
      }
    } catch (error) {
      if (error instanceof AwsServiceError) return errorResponse(error);
      const message = error instanceof Error ? error.message : String(error);
      return errorResponse(new AwsServiceError('ServiceException', message, 500));
    }
  }

  private async invoke(request: EdgeRequest, functionName: string, qualifier?: string): Promise<EdgeResponse> {
    const type = (request.headers['x-amz-invocation-type'] ?? 'RequestResponse') as InvocationType;
    if (!INVOCATION_TYPES.includes(type)) {
      throw new AwsServiceError(
        'InvalidParameterValueException',
        `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: ` +
          'Member must satisfy enum value set: [Event, RequestResponse, DryRun]',
      );
    }
    const response = await this.runtime.invokeFunction(functionName, request.body.toString('utf8'), {
      type,
      qualifier,
      clientContext: decodeClientContext(request.headers['x-amz-client-context']),
      throttle: true,
    });
    const headers: Record<string, string> = {
      'x-amzn-requestid': response.requestId,
      'x-amz-executed-version': response.executedVersion,
    };
    if (response.statusCode !== 200) return { status: response.statusCode, headers, body: '' };
    if (response.functionError) headers['x-amz-function-error'] = response.functionError;
    if (request.headers['x-amz-log-type'] === 'Tail') {
      headers['x-amz-log-result'] = logTail(response.logLines ?? []).toString('base64');
    }
    return { status: 200, headers: { 'content-type': 'application/json', ...headers }, body: response.payload ?? '' };
  }

  private listFunctions(query: URLSearchParams): EdgeResponse {
    const maxItems = Math.min(Math.max(Number(query.get('MaxItems') ?? 50) || 50, 1), 10000);
    const all = this.runtime.listFunctions();
    const marker = query.get('Marker');
    const start = marker ? all.findIndex((fn) => fn.FunctionName > marker) : 0;
    const page = start === -1 ? [] : all.slice(start, start + maxItems);
    const more = start !== -1 && start + maxItems < all.length;
    const body: Record<string, unknown> = { Functions: page };
    if (more) body.NextMarker = page.at(-1)?.FunctionName;
    return json(200, body);
  }
}
