import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createRuntime,
  definition,
  functionArn,
  type LocalLambda,
  makeTempDir,
  RecordingQueueSender,
  RecordingTopicPublisher,
  removeTempDirs,
  waitFor,
} from './lambda-test-kit';

const FAILURE_QUEUE = 'arn:aws:sqs:us-east-1:000000000000:alerting-failures';
const DEAD_LETTER_QUEUE = 'arn:aws:sqs:us-east-1:000000000000:alerting-dlq';
const FAILURE_TOPIC = 'arn:aws:sns:us-east-1:000000000000:alerting-failures';
const SUCCESS_QUEUE = 'arn:aws:sqs:us-east-1:000000000000:alerting-done';

/** Fails every time, writing one line per attempt (with the time) to the log. */
const ALWAYS_FAILS = `
exports.handler = async (event, context) => {
  console.log('attempt', context.awsRequestId, Date.now());
  throw new Error('threshold store unavailable');
};`;

function attemptTimes(dataDir: string, functionName: string): number[] {
  const log = readFileSync(join(dataDir, 'logs', `${functionName}.log`), 'utf8');
  return [...log.matchAll(/INFO\tattempt \S+ (\d+)/g)].map((match) => Number(match[1]));
}

describe('asynchronous invocation', () => {
  let lambda: LocalLambda;
  let queues: RecordingQueueSender;
  let topics: RecordingTopicPublisher;

  beforeEach(() => {
    queues = new RecordingQueueSender();
    topics = new RecordingTopicPublisher();
    lambda = createRuntime({ queueSender: queues, topicPublisher: topics, retryDelaysMs: [100, 200] });
  });

  afterEach(async () => {
    await lambda.close();
  });

  afterAll(() => removeTempDirs());

  it('retries twice, waiting between attempts, then sends the documented record to the on-failure queue', async () => {
    // Prepare
    await lambda.runtime.createFunction(
      definition('evaluate', ALWAYS_FAILS, {
        onFailureDestinationArn: FAILURE_QUEUE,
        deadLetterTargetArn: DEAD_LETTER_QUEUE,
      }),
    );

    // Act
    const queued = await lambda.runtime.invoke('evaluate', { deviceId: 'd-7', temperature: 99 }, 'Event');
    const sent = await waitFor(() => queues.sent[0]);

    // Assess
    expect(queued).toEqual({ ok: true, payload: undefined });
    expect(sent.queueArn).toBe(FAILURE_QUEUE);
    expect(JSON.parse(sent.body)).toEqual({
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      requestContext: {
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        functionArn: `${functionArn('evaluate')}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { deviceId: 'd-7', temperature: 99 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: {
        errorType: 'Error',
        errorMessage: 'threshold store unavailable',
        trace: expect.any(Array),
      },
    });
    expect(queues.sent).toHaveLength(1);
    const times = attemptTimes(lambda.dataDir, 'evaluate');
    expect(times).toHaveLength(3);
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(100);
    expect((times[2] as number) - (times[1] as number)).toBeGreaterThanOrEqual(200);
  });

  it('retries a function that times out as one that throws, then sends the timeout to the on-failure queue', async () => {
    // Prepare
    const hangs = `
exports.handler = async (event, context) => {
  console.log('attempt', context.awsRequestId, Date.now());
  await new Promise((resolve) => setTimeout(resolve, 10000));
};`;
    await lambda.runtime.createFunction(
      definition('slow-evaluate', hangs, { timeoutSeconds: 1, onFailureDestinationArn: FAILURE_QUEUE }),
    );

    // Act
    await lambda.runtime.invoke('slow-evaluate', { deviceId: 'd-8' }, 'Event');
    const sent = await waitFor(() => queues.sent[0], 15_000);

    // Assess
    const record = JSON.parse(sent.body);
    expect(sent.queueArn).toBe(FAILURE_QUEUE);
    expect(record.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
    expect(record.requestPayload).toEqual({ deviceId: 'd-8' });
    expect(record.responsePayload).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringMatching(/Task timed out after 1\.00 seconds$/),
    });
    expect(attemptTimes(lambda.dataDir, 'slow-evaluate')).toHaveLength(3);
  }, 30_000);

  it('keeps the request id across retries', async () => {
    // Prepare
    await lambda.runtime.createFunction(
      definition('evaluate', ALWAYS_FAILS, { onFailureDestinationArn: FAILURE_QUEUE }),
    );

    // Act
    await lambda.runtime.invoke('evaluate', {}, 'Event');
    const sent = await waitFor(() => queues.sent[0]);

    // Assess
    const { requestId } = JSON.parse(sent.body).requestContext;
    const log = readFileSync(join(lambda.dataDir, 'logs', 'evaluate.log'), 'utf8');
    expect(log.match(new RegExp(`START RequestId: ${requestId}`, 'g'))).toHaveLength(3);
  });

  it('sends the event to the dead-letter queue with its attributes when there is no destination', async () => {
    // Prepare
    await lambda.runtime.createFunction(
      definition('evaluate', ALWAYS_FAILS, { deadLetterTargetArn: DEAD_LETTER_QUEUE, maximumRetryAttempts: 1 }),
    );

    // Act
    await lambda.runtime.invoke('evaluate', { deviceId: 'd-9' }, 'Event');
    const sent = await waitFor(() => queues.sent[0]);

    // Assess
    expect(sent.queueArn).toBe(DEAD_LETTER_QUEUE);
    expect(JSON.parse(sent.body)).toEqual({ deviceId: 'd-9' });
    expect(sent.attributes).toEqual({
      RequestID: { DataType: 'String', StringValue: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      ErrorCode: { DataType: 'Number', StringValue: '200' },
      ErrorMessage: { DataType: 'String', StringValue: 'threshold store unavailable' },
    });
    expect(attemptTimes(lambda.dataDir, 'evaluate')).toHaveLength(2);
    const log = readFileSync(join(lambda.dataDir, 'logs', 'evaluate.log'), 'utf8');
    expect(log).toContain(`failed after 2 attempt(s) (RetriesExhausted); sent to ${DEAD_LETTER_QUEUE}`);
  });

  it('publishes the failure record to an SNS topic destination', async () => {
    // Prepare
    await lambda.runtime.createFunction(
      definition('evaluate', ALWAYS_FAILS, { onFailureDestinationArn: FAILURE_TOPIC, maximumRetryAttempts: 0 }),
    );

    // Act
    await lambda.runtime.invoke('evaluate', { n: 1 }, 'Event');
    const published = await waitFor(() => topics.published[0]);

    // Assess
    expect(published.topicArn).toBe(FAILURE_TOPIC);
    expect(JSON.parse(published.message)).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 1 },
      requestPayload: { n: 1 },
    });
  });

  it('sends the result to the on-success destination', async () => {
    // Prepare
    const source = 'exports.handler = async (event) => ({ alarms: event.readings.filter((r) => r > 50).length });';
    await lambda.runtime.createFunction(definition('evaluate', source, { onSuccessDestinationArn: SUCCESS_QUEUE }));

    // Act
    await lambda.runtime.invoke('evaluate', { readings: [10, 60, 70] }, 'Event');
    const sent = await waitFor(() => queues.sent[0]);

    // Assess
    expect(sent.queueArn).toBe(SUCCESS_QUEUE);
    expect(JSON.parse(sent.body)).toMatchObject({
      requestContext: { condition: 'Success', approximateInvokeCount: 1 },
      requestPayload: { readings: [10, 60, 70] },
      responseContext: { statusCode: 200, executedVersion: '$LATEST' },
      responsePayload: { alarms: 2 },
    });
    expect(JSON.parse(sent.body).responseContext.functionError).toBeUndefined();
  });

  it('runs a backlog of events each as an invocation of its own: context, timeout, outcome and log lines', async () => {
    // Prepare: one environment, so events queue behind each other; each runs 150 ms of a 1 s timeout, so a backlog
    // sharing one deadline would time out. Event 5 crashes its environment, event 9 throws.
    const source = `
exports.handler = async (event, context) => {
  console.log('handling', event.n);
  if (event.n === 5) process.exit(1);
  await new Promise((resolve) => setTimeout(resolve, 150));
  if (event.n === 9) throw new Error('reading 9 rejected');
  return { n: event.n, requestId: context.awsRequestId, remainingMs: context.getRemainingTimeInMillis() };
};`;
    await lambda.runtime.createFunction(
      definition('evaluate', source, {
        timeoutSeconds: 1,
        reservedConcurrency: 1,
        maximumRetryAttempts: 0,
        onSuccessDestinationArn: SUCCESS_QUEUE,
        onFailureDestinationArn: FAILURE_QUEUE,
      }),
    );

    // Act
    for (let n = 0; n < 16; n++) await lambda.runtime.invoke('evaluate', { n }, 'Event');
    await waitFor(() => queues.sent.length === 16, 15_000);

    // Assess
    const records = queues.sent.map((sent) => ({ queueArn: sent.queueArn, record: JSON.parse(sent.body) }));
    const succeeded = records.filter((r) => r.queueArn === SUCCESS_QUEUE).map((r) => r.record);
    const failed = records.filter((r) => r.queueArn === FAILURE_QUEUE).map((r) => r.record);
    expect(succeeded.map((r) => r.responsePayload.n).sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 6, 7, 8, 10, 11, 12, 13, 14, 15,
    ]);
    for (const record of succeeded) {
      expect(record.responsePayload.requestId).toBe(record.requestContext.requestId);
      expect(record.responsePayload.remainingMs).toBeGreaterThan(700);
    }
    expect(new Set(succeeded.map((r) => r.requestContext.requestId)).size).toBe(14);
    expect(failed.map((r) => [r.requestPayload.n, r.responsePayload.errorType]).sort()).toEqual([
      [5, 'Runtime.ExitError'],
      [9, 'Error'],
    ]);
    const log = readFileSync(join(lambda.dataDir, 'logs', 'evaluate.log'), 'utf8');
    for (const { requestContext } of [...succeeded, ...failed]) {
      const id = requestContext.requestId;
      for (const line of ['START', 'END', 'REPORT'])
        expect(log.match(new RegExp(`${line} RequestId: ${id}`, 'g'))).toHaveLength(1);
      expect(log).toMatch(
        new RegExp(`START RequestId: ${id} Version: \\$LATEST\n\\[evaluate\\] \\S+\t${id}\tINFO\thandling`),
      );
    }
  }, 30_000);

  it('persists events not yet done on close and runs them when the function is created again', async () => {
    // Prepare
    const dataDir = makeTempDir();
    const first = createRuntime({ dataDir, queueSender: queues, retryDelaysMs: [60_000] });
    const failing = definition('evaluate', ALWAYS_FAILS, { onSuccessDestinationArn: SUCCESS_QUEUE });
    await first.runtime.createFunction(failing);
    await first.runtime.invoke('evaluate', { deviceId: 'd-1' }, 'Event');
    await waitFor(() => attemptTimes(dataDir, 'evaluate').length === 1);

    // Act
    await first.runtime.close();
    const persisted = JSON.parse(readFileSync(join(dataDir, 'async-invocations.json'), 'utf8'));
    const second = createRuntime({ dataDir, queueSender: queues });
    await second.runtime.createFunction({
      ...failing,
      codeDir: definition('evaluate', 'exports.handler = async (event) => event.deviceId;').codeDir,
    });
    const sent = await waitFor(() => queues.sent[0]);
    await second.runtime.close();
    const persistedAfterwards = existsSync(join(dataDir, 'async-invocations.json'));
    await second.close();

    // Assess
    expect(persisted.events).toEqual([
      expect.objectContaining({ functionName: 'evaluate', attempts: 1, payload: '{"deviceId":"d-1"}' }),
    ]);
    expect(JSON.parse(sent.body)).toMatchObject({
      requestContext: { condition: 'Success', approximateInvokeCount: 2 },
      responsePayload: 'd-1',
    });
    expect(persistedAfterwards).toBe(false);
  });
});
