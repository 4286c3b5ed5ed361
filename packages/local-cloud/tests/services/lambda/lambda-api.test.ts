import { join } from 'node:path';
import {
  CreateAliasCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import {
  decodePayload,
  definition,
  encodePayload,
  functionArn,
  type LambdaOnEdge,
  REGION,
  removeTempDirs,
  startLambdaOnEdge,
} from './lambda-test-kit';

const ECHO = `
exports.handler = async (event, context) => {
  console.log('echoing', JSON.stringify(event));
  return { event, requestId: context.awsRequestId, invokedFunctionArn: context.invokedFunctionArn };
};`;

const THROWS = `
class ValidationError extends Error {
  constructor(message) { super(message); this.name = 'ValidationError'; }
}
exports.handler = async () => { throw new ValidationError('deviceId is missing'); };`;

describe('the Lambda API through the AWS SDK', () => {
  let lambda: LambdaOnEdge;

  beforeEach(async () => {
    lambda = await startLambdaOnEdge();
  });

  afterEach(async () => {
    await lambda.close();
  });

  afterAll(() => removeTempDirs());

  it('invokes a function synchronously and returns its result', async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('echo', ECHO));

    // Act
    const response = await lambda.client.send(
      new InvokeCommand({ FunctionName: 'echo', Payload: encodePayload({ deviceId: 'd-1', temperature: 21.5 }) }),
    );

    // Assess
    expect(response.StatusCode).toBe(200);
    expect(response.FunctionError).toBeUndefined();
    expect(response.ExecutedVersion).toBe('$LATEST');
    expect(decodePayload(response.Payload)).toEqual({
      event: { deviceId: 'd-1', temperature: 21.5 },
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      invokedFunctionArn: functionArn('echo'),
    });
  });

  it('answers a thrown error as an Unhandled function error with its type and message', async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('throws', THROWS));

    // Act
    const response = await lambda.client.send(
      new InvokeCommand({ FunctionName: 'throws', Payload: encodePayload({}) }),
    );

    // Assess
    expect(response.StatusCode).toBe(200);
    expect(response.FunctionError).toBe('Unhandled');
    expect(decodePayload(response.Payload)).toEqual({
      errorType: 'ValidationError',
      errorMessage: 'deviceId is missing',
      trace: expect.arrayContaining([expect.stringContaining('ValidationError: deviceId is missing')]),
    });
  });

  it('answers ResourceNotFoundException for an unknown function', async () => {
    // Act
    const calling = lambda.client.send(new InvokeCommand({ FunctionName: 'nope', Payload: encodePayload({}) }));

    // Assess
    await expect(calling).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(calling).rejects.toMatchObject({
      message: `Function not found: ${functionArn('nope')}`,
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('invokes by qualified ARN with $LATEST, and refuses a qualifier it does not know', async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('echo', ECHO));

    // Act
    const response = await lambda.client.send(
      new InvokeCommand({ FunctionName: `${functionArn('echo')}:$LATEST`, Payload: encodePayload({ n: 1 }) }),
    );
    const unknownAlias = lambda.client.send(new InvokeCommand({ FunctionName: 'echo', Qualifier: 'live' }));

    // Assess
    expect(decodePayload(response.Payload)).toMatchObject({ invokedFunctionArn: `${functionArn('echo')}:$LATEST` });
    await expect(unknownAlias).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: `Function not found: ${functionArn('echo')}:live`,
    });
  });

  it('accepts an Event invocation with 202 and a DryRun with 204', async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('echo', ECHO));

    // Act
    const event = await lambda.client.send(
      new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: encodePayload({ n: 1 }) }),
    );
    const dryRun = await lambda.client.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }));

    // Assess
    expect(event.StatusCode).toBe(202);
    expect(dryRun.StatusCode).toBe(204);
  });

  it('returns the tail of the invocation log with LogType Tail', async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('echo', ECHO));

    // Act
    const response = await lambda.client.send(
      new InvokeCommand({ FunctionName: 'echo', LogType: 'Tail', Payload: encodePayload({ n: 7 }) }),
    );

    // Assess
    const log = Buffer.from(response.LogResult ?? '', 'base64').toString('utf8');
    const { requestId } = decodePayload(response.Payload) as { requestId: string };
    expect(log).toMatch(/^INIT_START Runtime Version: nodejs22\.x/);
    expect(log).toContain(`START RequestId: ${requestId} Version: $LATEST`);
    expect(log).toMatch(new RegExp(`\\t${requestId}\\tINFO\\techoing {"n":7}`));
    expect(log).toContain(`END RequestId: ${requestId}`);
    expect(log).toMatch(/REPORT RequestId: .*\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB/);
  });

  it('describes functions with GetFunction and ListFunctions', async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('echo', ECHO, { environment: { STAGE: 'local' } }));
    await lambda.runtime.createFunction(definition('throws', THROWS, { reservedConcurrency: 2 }));

    // Act
    const got = await lambda.client.send(new GetFunctionCommand({ FunctionName: 'throws' }));
    const listed = await lambda.client.send(new ListFunctionsCommand({}));

    // Assess
    expect(got.Configuration).toMatchObject({
      FunctionName: 'throws',
      FunctionArn: functionArn('throws'),
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Timeout: 3,
      MemorySize: 256,
      Version: '$LATEST',
      State: 'Active',
    });
    expect(got.Concurrency?.ReservedConcurrentExecutions).toBe(2);
    expect(listed.Functions?.map((fn) => fn.FunctionName)).toEqual(['echo', 'throws']);
    expect(listed.Functions?.[0]?.Environment?.Variables).toEqual({ STAGE: 'local' });
  });

  it('throttles a synchronous call over reserved concurrency with TooManyRequestsException', async () => {
    // Prepare
    const slow = 'exports.handler = () => new Promise((resolve) => setTimeout(() => resolve("done"), 500));';
    await lambda.runtime.createFunction(definition('slow', slow, { reservedConcurrency: 1 }));
    const client = new LambdaClient({
      endpoint: lambda.edge.url,
      region: REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });

    // Act
    const first = client.send(new InvokeCommand({ FunctionName: 'slow' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = client.send(new InvokeCommand({ FunctionName: 'slow' }));

    // Assess
    await expect(second).rejects.toBeInstanceOf(TooManyRequestsException);
    expect(decodePayload((await first).Payload)).toBe('done');
    client.destroy();
  });

  it("lets a function call the Lambda API with a client configured by the function's environment", async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('echo', ECHO));
    await lambda.runtime.createFunction(
      definition('caller', '', { codeDir: join(__dirname, 'fixtures', 'invoke-through-sdk'), timeoutSeconds: 10 }),
    );

    // Act
    const response = await lambda.client.send(
      new InvokeCommand({ FunctionName: 'caller', Payload: encodePayload({ target: 'echo', payload: { hop: 1 } }) }),
    );

    // Assess
    expect(response.FunctionError).toBeUndefined();
    expect(decodePayload(response.Payload)).toEqual({
      statusCode: 200,
      payload: expect.objectContaining({ event: { hop: 1 }, invokedFunctionArn: functionArn('echo') }),
    });
  });

  it('answers an operation it does not support with an error naming it', async () => {
    // Prepare
    await lambda.runtime.createFunction(definition('echo', ECHO));

    // Act
    const calling = lambda.client.send(
      new CreateAliasCommand({ FunctionName: 'echo', Name: 'live', FunctionVersion: '$LATEST' }),
    );

    // Assess
    await expect(calling).rejects.toMatchObject({
      name: 'NotImplementedException',
      message: "The local cloud's Lambda does not support the operation CreateAlias",
    });
  });
});
