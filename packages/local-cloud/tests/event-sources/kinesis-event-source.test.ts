import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EventSourceMappingManager,
  type EventSourceMappingProperties,
  type KinesisEvent,
  type KinesisFailureRecord,
  type KinesisTimeWindowEvent,
} from '../../src/event-sources';
import { KinesisService } from '../../src/services/kinesis';
import { collectingQueue, recordingFunction, sleep, waitFor } from './helpers';

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/telemetry';
const DLQ_ARN = 'arn:aws:sqs:us-east-1:000000000000:aggregator-dlq';

const payloads = (event: KinesisEvent) =>
  event.Records.map((record) => Buffer.from(record.kinesis.data, 'base64').toString());

describe('Kinesis event source mappings', () => {
  let kinesis: KinesisService;
  let manager: EventSourceMappingManager | undefined;
  let warnings: string[];

  beforeEach(async () => {
    kinesis = await KinesisService.open();
    kinesis.createStream({ streamName: 'telemetry', shardCount: 1 });
    warnings = [];
  });

  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    await kinesis.close();
  });

  function mapping(
    invoker: ReturnType<typeof recordingFunction>['invoker'],
    props: Partial<EventSourceMappingProperties> = {},
  ) {
    const dlq = collectingQueue();
    manager = new EventSourceMappingManager({
      invoker,
      streams: kinesis,
      queueSender: dlq.sender,
      retryBackoff: { initialMs: 5, maxMs: 20 },
      logger: { warn: (message) => warnings.push(message) },
    });
    const created = manager.createEventSourceMapping({
      EventSourceArn: STREAM_ARN,
      FunctionName: 'aggregator',
      StartingPosition: 'TRIM_HORIZON',
      ...props,
    });
    return { created, dlq };
  }

  it('invokes the function with the Lambda Kinesis event', async () => {
    // Prepare
    const fn = recordingFunction<KinesisEvent>();
    const first = kinesis.putRecord('telemetry', '{"t":21}', 'device-1');
    kinesis.putRecord('telemetry', '{"t":22}', 'device-2');

    // Act
    await mapping(fn.invoker).created;
    await waitFor(() => fn.events.length === 1);

    // Assess
    const [event] = fn.events;
    expect(event?.Records).toHaveLength(2);
    expect(event?.Records[0]).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'device-1',
        sequenceNumber: first.sequenceNumber,
        data: Buffer.from('{"t":21}').toString('base64'),
        approximateArrivalTimestamp: expect.any(Number),
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${first.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/aggregator-role',
      awsRegion: 'us-east-1',
      eventSourceARN: STREAM_ARN,
    });
    const arrival = event?.Records[0]?.kinesis.approximateArrivalTimestamp as number;
    expect(Math.abs(arrival - Date.now() / 1000)).toBeLessThan(5);
    expect(Object.keys(event as object)).toEqual(['Records']);
  });

  it('keeps each shard in order, one batch at a time, batches of at most BatchSize', async () => {
    // Prepare
    kinesis.deleteStream('telemetry');
    kinesis.createStream({ streamName: 'telemetry', shardCount: 3 });
    const inFlight = new Map<string, number>();
    let overlapping = false;
    const fn = recordingFunction<KinesisEvent>(async (event) => {
      const shard = event.Records[0]?.eventID.split(':')[0] as string;
      inFlight.set(shard, (inFlight.get(shard) ?? 0) + 1);
      if ((inFlight.get(shard) ?? 0) > 1) overlapping = true;
      await sleep(2);
      inFlight.set(shard, (inFlight.get(shard) ?? 0) - 1);
      return null;
    });
    await mapping(fn.invoker, { BatchSize: 7, StartingPosition: 'LATEST' }).created;

    // Act
    for (let i = 0; i < 120; i++) kinesis.putRecord('telemetry', `${i}`, `device-${i % 10}`);
    await waitFor(() => fn.events.reduce((sum, event) => sum + event.Records.length, 0) === 120);

    // Assess
    expect(overlapping).toBe(false);
    const shardsOfBatches = fn.events.map(
      (event) => new Set(event.Records.map((record) => record.eventID.split(':')[0])),
    );
    expect(shardsOfBatches.every((shards) => shards.size === 1)).toBe(true);
    expect(fn.events.every((event) => event.Records.length <= 7)).toBe(true);
    const byDevice = new Map<string, number[]>();
    for (const event of fn.events) {
      for (const record of event.Records) {
        const list = byDevice.get(record.kinesis.partitionKey) ?? [];
        list.push(Number(Buffer.from(record.kinesis.data, 'base64').toString()));
        byDevice.set(record.kinesis.partitionKey, list);
      }
    }
    expect(byDevice.size).toBe(10);
    for (const values of byDevice.values()) expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  it('carries the tumbling window state between invocations and ends each window with a final invocation', async () => {
    // Prepare
    const fn = recordingFunction<KinesisTimeWindowEvent>((event) => {
      const state = event.state as { count?: number; devices?: string[] };
      return {
        state: {
          count: (state.count ?? 0) + event.Records.length,
          devices: [...(state.devices ?? []), ...event.Records.map((record) => record.kinesis.partitionKey)],
        },
        batchItemFailures: [],
      };
    });
    await mapping(fn.invoker, { BatchSize: 2, TumblingWindowInSeconds: 1 }).created;

    // Act
    for (let i = 0; i < 5; i++) kinesis.putRecord('telemetry', `${i}`, `device-${i}`);
    await waitFor(
      () =>
        fn.events
          .filter((event) => event.isFinalInvokeForWindow)
          .reduce((sum, event) => sum + ((event.state as { count: number }).count ?? 0), 0) === 5,
    );

    // Assess
    const windows = new Map<string, KinesisTimeWindowEvent[]>();
    for (const event of fn.events) windows.set(event.window.start, [...(windows.get(event.window.start) ?? []), event]);
    for (const [start, events] of windows) {
      const final = events[events.length - 1] as KinesisTimeWindowEvent;
      const aggregating = events.slice(0, -1);
      expect(start).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(Date.parse(final.window.end) - Date.parse(start)).toBe(1000);
      expect(aggregating.every((event) => !event.isFinalInvokeForWindow && event.Records.length > 0)).toBe(true);
      let count = 0;
      for (const event of aggregating) {
        expect(event.state).toEqual(count === 0 ? {} : expect.objectContaining({ count }));
        expect(event.Records.length).toBeLessThanOrEqual(2);
        count += event.Records.length;
      }
      expect(final).toMatchObject({
        Records: [],
        isFinalInvokeForWindow: true,
        isWindowTerminatedEarly: false,
        shardId: 'shardId-000000000000',
        eventSourceARN: STREAM_ARN,
        state: { count },
      });
    }
    const finals = fn.events.filter((event) => event.isFinalInvokeForWindow);
    expect(finals.flatMap((event) => (event.state as { devices: string[] }).devices)).toEqual([
      'device-0',
      'device-1',
      'device-2',
      'device-3',
      'device-4',
    ]);
  });

  it('assigns records to windows by arrival time and closes a window before the next one starts', async () => {
    // Prepare
    const fn = recordingFunction<KinesisTimeWindowEvent>((event) => ({
      state: { seen: [...((event.state as { seen?: string[] }).seen ?? []), ...payloads(event)] },
    }));
    await mapping(fn.invoker, { TumblingWindowInSeconds: 1, StartingPosition: 'LATEST' }).created;
    await sleep(1000 - (Date.now() % 1000) + 20);

    // Act
    kinesis.putRecord('telemetry', 'early', 'device-1');
    await sleep(1000);
    kinesis.putRecord('telemetry', 'late', 'device-1');
    await waitFor(() => fn.events.filter((event) => event.isFinalInvokeForWindow).length === 2);

    // Assess
    expect(fn.events.map((event) => [payloads(event), event.state, event.isFinalInvokeForWindow])).toEqual([
      [['early'], {}, false],
      [[], { seen: ['early'] }, true],
      [['late'], {}, false],
      [[], { seen: ['late'] }, true],
    ]);
    const [first, , second] = fn.events;
    expect(Date.parse(second?.window.start as string)).toBe(Date.parse(first?.window.end as string));
  });

  it('terminates a window early when its state outgrows 1 MB, and goes on in the same window afresh', async () => {
    // Prepare
    const fn = recordingFunction<KinesisTimeWindowEvent>((event) => ({
      state: payloads(event).includes('big') ? { blob: 'x'.repeat(1024 * 1024) } : { small: true },
    }));
    await mapping(fn.invoker, { BatchSize: 1, TumblingWindowInSeconds: 1, StartingPosition: 'LATEST' }).created;
    await sleep(1000 - (Date.now() % 1000) + 20);

    // Act
    kinesis.putRecord('telemetry', 'big', 'device-1');
    kinesis.putRecord('telemetry', 'next', 'device-1');
    await waitFor(() => fn.events.filter((event) => event.isFinalInvokeForWindow).length === 2);

    // Assess
    expect(
      fn.events.map((event) => [payloads(event), event.isFinalInvokeForWindow, event.isWindowTerminatedEarly]),
    ).toEqual([
      [['big'], false, false],
      [[], true, true],
      [['next'], false, false],
      [[], true, false],
    ]);
    expect(fn.events[2]?.state).toEqual({});
    expect(new Set(fn.events.map((event) => event.window.start)).size).toBe(1);
  });

  it('treats a tumbling window answer without a state as a failure', async () => {
    // Prepare
    let calls = 0;
    const fn = recordingFunction<KinesisTimeWindowEvent>(() =>
      ++calls === 1 ? { batchItemFailures: [] } : { state: { n: 1 } },
    );
    kinesis.putRecord('telemetry', 'x', 'device-1');

    // Act
    await mapping(fn.invoker, { TumblingWindowInSeconds: 1 }).created;
    await waitFor(() => fn.events.some((event) => event.isFinalInvokeForWindow));

    // Assess
    expect(fn.events[0]?.state).toEqual({});
    expect(fn.events[1]?.state).toEqual({});
    expect(warnings).toEqual(['The function answered a tumbling window invocation without a state: a failure']);
    expect(payloads(fn.events[1] as KinesisEvent)).toEqual(['x']);
  });

  it('retries from the first failed record a partial batch response names', async () => {
    // Prepare
    let failedOnce = false;
    const fn = recordingFunction<KinesisEvent>((event) => {
      const third = event.Records.find((record) => Buffer.from(record.kinesis.data, 'base64').toString() === '3');
      const fourth = event.Records.find((record) => Buffer.from(record.kinesis.data, 'base64').toString() === '4');
      if (failedOnce || !third || !fourth) return { batchItemFailures: [] };
      failedOnce = true;
      return {
        batchItemFailures: [
          { itemIdentifier: fourth.kinesis.sequenceNumber },
          { itemIdentifier: third.kinesis.sequenceNumber },
        ],
      };
    });
    for (let i = 1; i <= 5; i++) kinesis.putRecord('telemetry', `${i}`, 'device-1');

    // Act
    await mapping(fn.invoker, { FunctionResponseTypes: ['ReportBatchItemFailures'] }).created;
    await waitFor(() => fn.events.length === 2);
    await sleep(50);

    // Assess
    expect(fn.events.map(payloads)).toEqual([
      ['1', '2', '3', '4', '5'],
      ['3', '4', '5'],
    ]);
  });

  it('sends a poison batch to the on-failure destination after the retries, then goes on', async () => {
    // Prepare
    const fn = recordingFunction<KinesisEvent>((event) => {
      if (payloads(event).includes('poison')) throw new Error('cannot parse');
      return null;
    });
    const first = kinesis.putRecord('telemetry', 'ok-1', 'device-1');
    kinesis.putRecord('telemetry', 'poison', 'device-1');
    const last = kinesis.putRecord('telemetry', 'ok-2', 'device-1');
    const { created, dlq } = mapping(fn.invoker, {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: DLQ_ARN } },
    });

    // Act
    await created;
    await waitFor(() => dlq.messages.length === 1);
    kinesis.putRecord('telemetry', 'ok-3', 'device-1');
    await waitFor(() => fn.events.length === 4);

    // Assess
    expect(fn.events.map(payloads)).toEqual([
      ['ok-1', 'poison', 'ok-2'],
      ['ok-1', 'poison', 'ok-2'],
      ['ok-1', 'poison', 'ok-2'],
      ['ok-3'],
    ]);
    const message = dlq.messages[0] as { queueArn: string; body: string };
    expect(message.queueArn).toBe(DLQ_ARN);
    const failure = JSON.parse(message.body) as KinesisFailureRecord;
    expect(failure).toEqual({
      requestContext: {
        requestId: expect.any(String),
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:aggregator',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      KinesisBatchInfo: {
        shardId: 'shardId-000000000000',
        startSequenceNumber: first.sequenceNumber,
        endSequenceNumber: last.sequenceNumber,
        approximateArrivalOfFirstRecord: expect.stringMatching(/Z$/),
        approximateArrivalOfLastRecord: expect.stringMatching(/Z$/),
        batchSize: 3,
        streamArn: STREAM_ARN,
      },
    });
  });

  it('bisects a failing batch down to the poison record when BisectBatchOnFunctionError is on', async () => {
    // Prepare
    const fn = recordingFunction<KinesisEvent>((event) => {
      if (payloads(event).includes('poison')) throw new Error('cannot parse');
      return null;
    });
    kinesis.putRecord('telemetry', 'a', 'device-1');
    const poison = kinesis.putRecord('telemetry', 'poison', 'device-1');
    kinesis.putRecord('telemetry', 'b', 'device-1');
    kinesis.putRecord('telemetry', 'c', 'device-1');
    const { created, dlq } = mapping(fn.invoker, {
      MaximumRetryAttempts: 1,
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: DLQ_ARN } },
    });

    // Act
    await created;
    await waitFor(() => fn.events.some((event) => payloads(event).join() === 'b,c'));

    // Assess
    expect(fn.events.map(payloads)).toEqual([
      ['a', 'poison', 'b', 'c'],
      ['a', 'poison'],
      ['a'],
      ['poison'],
      ['poison'],
      ['b', 'c'],
    ]);
    const failure = JSON.parse((dlq.messages[0] as { body: string }).body) as KinesisFailureRecord;
    expect(failure.KinesisBatchInfo).toMatchObject({
      startSequenceNumber: poison.sequenceNumber,
      endSequenceNumber: poison.sequenceNumber,
      batchSize: 1,
    });
  });

  it('skips records older than MaximumRecordAgeInSeconds, telling the on-failure destination', async () => {
    // Prepare
    const producerClock = { offset: -120_000 };
    await kinesis.close();
    kinesis = await KinesisService.open({ now: () => Date.now() + producerClock.offset });
    kinesis.createStream({ streamName: 'telemetry', shardCount: 1 });
    kinesis.putRecord('telemetry', 'stale', 'device-1');
    producerClock.offset = 0;
    kinesis.putRecord('telemetry', 'fresh', 'device-1');
    const fn = recordingFunction<KinesisEvent>();

    // Act
    const { created, dlq } = mapping(fn.invoker, {
      MaximumRecordAgeInSeconds: 60,
      DestinationConfig: { OnFailure: { Destination: DLQ_ARN } },
    });
    await created;
    await waitFor(() => fn.events.length === 1 && dlq.messages.length === 1);

    // Assess
    expect(fn.events.map(payloads)).toEqual([['fresh']]);
    const failure = JSON.parse((dlq.messages[0] as { body: string }).body) as KinesisFailureRecord;
    expect(failure.requestContext).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
    expect(failure.KinesisBatchInfo.batchSize).toBe(1);
  });

  it('waits up to MaximumBatchingWindowInSeconds to fill a batch', async () => {
    // Prepare
    const fn = recordingFunction<KinesisEvent>();
    await mapping(fn.invoker, { BatchSize: 10, MaximumBatchingWindowInSeconds: 1, StartingPosition: 'LATEST' }).created;
    const started = Date.now();

    // Act
    kinesis.putRecord('telemetry', 'one', 'device-1');
    await sleep(100);
    kinesis.putRecord('telemetry', 'two', 'device-2');
    await waitFor(() => fn.events.length === 1);

    // Assess
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fn.events.map(payloads)).toEqual([['one', 'two']]);
  });

  it('does not poll while disabled, and resumes when started', async () => {
    // Prepare
    const fn = recordingFunction<KinesisEvent>();
    const configuration = await mapping(fn.invoker, { Enabled: false }).created;
    kinesis.putRecord('telemetry', 'queued', 'device-1');
    await sleep(50);
    const idle = fn.events.length;

    // Act
    const started = await manager?.start(configuration.UUID);
    await waitFor(() => fn.events.length === 1);

    // Assess
    expect(configuration.State).toBe('Disabled');
    expect(idle).toBe(0);
    expect(started?.State).toBe('Enabled');
    expect(fn.events.map(payloads)).toEqual([['queued']]);
  });

  it('finds the same mapping when it is created again', async () => {
    // Prepare
    const fn = recordingFunction<KinesisEvent>();
    const first = await mapping(fn.invoker).created;

    // Act
    const again = await manager?.createEventSourceMapping({
      EventSourceArn: STREAM_ARN,
      FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:aggregator',
      StartingPosition: 'TRIM_HORIZON',
    });

    // Assess
    expect(again?.UUID).toBe(first.UUID);
    expect(manager?.listEventSourceMappings()).toHaveLength(1);
    expect(first).toMatchObject({
      EventSourceArn: STREAM_ARN,
      FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:aggregator',
      BatchSize: 100,
      StartingPosition: 'TRIM_HORIZON',
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: -1,
      State: 'Enabled',
    });
  });

  it('takes the id it is given, and refuses a second mapping of the same stream and function', async () => {
    // Prepare
    const fn = recordingFunction<KinesisEvent>();
    const first = await mapping(fn.invoker).created;
    const props = { EventSourceArn: STREAM_ARN, FunctionName: 'aggregator', StartingPosition: 'LATEST' as const };

    // Act
    const conflict = await manager
      ?.createEventSourceMapping(props, { uuid: '2b733gdc-8ac3-cdf5-af3a-1827b3b11284' })
      .catch((error: unknown) => error);
    await manager?.deleteEventSourceMapping(first.UUID);
    const created = await manager?.createEventSourceMapping(props, { uuid: '2b733gdc-8ac3-cdf5-af3a-1827b3b11284' });

    // Assess
    expect(conflict).toMatchObject({ code: 'ResourceConflictException', status: 409 });
    expect(created?.UUID).toBe('2b733gdc-8ac3-cdf5-af3a-1827b3b11284');
    expect(manager?.listEventSourceMappings().map((configuration) => configuration.UUID)).toEqual([created?.UUID]);
  });

  it('rejects a mapping to a stream that does not exist', async () => {
    // Prepare
    const fn = recordingFunction<KinesisEvent>();

    // Act
    const outcome = mapping(fn.invoker, {
      EventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/missing',
    }).created;

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 'InvalidParameterValueException' });
  });
});

describe('Kinesis event source mappings across a restart', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'event-sources-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('resumes from the checkpoint, not from the starting position', async () => {
    // Prepare
    const props: EventSourceMappingProperties = {
      EventSourceArn: STREAM_ARN,
      FunctionName: 'aggregator',
      StartingPosition: 'LATEST',
    };
    const kinesisDir = join(dataDir, 'kinesis');
    const checkpointDir = join(dataDir, 'event-source-mappings');
    const before = recordingFunction<KinesisEvent>();
    let kinesis = await KinesisService.open({ dataDir: kinesisDir, flushIntervalMs: 0 });
    kinesis.createStream({ streamName: 'telemetry', shardCount: 1 });
    let manager = new EventSourceMappingManager({ invoker: before.invoker, streams: kinesis, dataDir: checkpointDir });
    await manager.createEventSourceMapping(props);
    kinesis.putRecord('telemetry', 'one', 'device-1');
    kinesis.putRecord('telemetry', 'two', 'device-1');
    await waitFor(() => before.events.flatMap(payloads).length === 2);
    await manager.close();
    kinesis.putRecord('telemetry', 'while-down', 'device-1');
    await kinesis.close();

    // Act
    const after = recordingFunction<KinesisEvent>();
    kinesis = await KinesisService.open({ dataDir: kinesisDir, flushIntervalMs: 0 });
    manager = new EventSourceMappingManager({ invoker: after.invoker, streams: kinesis, dataDir: checkpointDir });
    await manager.createEventSourceMapping(props);
    kinesis.putRecord('telemetry', 'after-restart', 'device-1');
    await waitFor(() => after.events.flatMap(payloads).length === 2);
    await sleep(50);

    // Assess
    expect(before.events.flatMap(payloads)).toEqual(['one', 'two']);
    expect(after.events.flatMap(payloads)).toEqual(['while-down', 'after-restart']);
    await manager.close();
    await kinesis.close();
  });

  it('keeps the state of an open tumbling window across a restart', async () => {
    // Prepare
    const props: EventSourceMappingProperties = {
      EventSourceArn: STREAM_ARN,
      FunctionName: 'aggregator',
      StartingPosition: 'TRIM_HORIZON',
      TumblingWindowInSeconds: 1,
    };
    const kinesisDir = join(dataDir, 'kinesis');
    const checkpointDir = join(dataDir, 'event-source-mappings');
    const counting = (event: KinesisTimeWindowEvent) => ({
      state: { count: ((event.state as { count?: number }).count ?? 0) + event.Records.length },
    });
    // Start right after a window boundary so both runs fall in the same 1 s window.
    await sleep(1000 - (Date.now() % 1000) + 20);
    let kinesis = await KinesisService.open({ dataDir: kinesisDir, flushIntervalMs: 0 });
    kinesis.createStream({ streamName: 'telemetry', shardCount: 1 });
    const before = recordingFunction<KinesisTimeWindowEvent>(counting);
    let manager = new EventSourceMappingManager({ invoker: before.invoker, streams: kinesis, dataDir: checkpointDir });
    await manager.createEventSourceMapping(props);
    kinesis.putRecord('telemetry', 'one', 'device-1');
    await waitFor(() => before.events.length === 1);
    await manager.close();
    await kinesis.close();

    // Act
    kinesis = await KinesisService.open({ dataDir: kinesisDir, flushIntervalMs: 0 });
    const after = recordingFunction<KinesisTimeWindowEvent>(counting);
    manager = new EventSourceMappingManager({ invoker: after.invoker, streams: kinesis, dataDir: checkpointDir });
    await manager.createEventSourceMapping(props);
    kinesis.putRecord('telemetry', 'two', 'device-1');
    await waitFor(() => after.events.some((event) => event.isFinalInvokeForWindow));

    // Assess
    expect(after.events.map((event) => [payloads(event), event.state, event.isFinalInvokeForWindow])).toEqual([
      [['two'], { count: 1 }, false],
      [[], { count: 2 }, true],
    ]);
    await manager.close();
    await kinesis.close();
  });
});
