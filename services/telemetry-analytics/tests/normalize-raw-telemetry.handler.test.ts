/**
 * The raw archive's Firehose processor, invoked offline through its middy stack with the event Firehose sends a
 * Lambda processor and checked against the answer the record-transformation contract asks for
 * (`{records: [{recordId, result: Ok | Dropped | ProcessingFailed, data}]}`, data in base64). No AWS service is called.
 */
import { createLogger } from '@iot/lambda-kit';
import { lambdaContext } from '@iot/testing';
import type { FirehoseTransformationEvent } from 'aws-lambda';
import { normalizeRawRecord } from '../src/domain/normalize-raw-telemetry';
import { createNormalizeRawTelemetryHandler } from '../src/handlers/normalize-raw-telemetry';

const T0 = 1_767_225_600_000;
const handler = createNormalizeRawTelemetryHandler({ logger: createLogger('test') });

/** The event of a Firehose Lambda processor, one record per payload. */
function firehoseEvent(payloads: (string | Buffer)[]): FirehoseTransformationEvent {
  return {
    invocationId: 'a7c1e2f0-1d2b-4c3e-9f00-000000000001',
    deliveryStreamArn:
      'arn:aws:firehose:us-east-1:000000000000:deliverystream/iot-telemetry-analytics-local-raw-archive',
    region: 'us-east-1',
    records: payloads.map((payload, index) => ({
      recordId: `4965000000000000000000000000000000000000000000000000000${index}`,
      approximateArrivalTimestamp: T0 + index,
      data: Buffer.from(payload).toString('base64'),
    })),
  };
}

const decoded = (data: string | undefined) => Buffer.from(data ?? '', 'base64').toString('utf8');

describe('normalizeRawTelemetry', () => {
  it('answers Ok with the normalised JSON line, Dropped for blank records, ProcessingFailed for invalid telemetry', async () => {
    // Prepare
    const valid = `${JSON.stringify({
      metrics: { temperature: 21.5 },
      receivedAt: T0 + 40,
      extra: 'not in the schema',
      deviceId: 'sensor-1',
      sequence: 7,
      timestamp: T0,
      messageId: 'm-1',
    })}\n`;
    const event = firehoseEvent([
      valid,
      '  \n',
      'not json\n',
      `${JSON.stringify({ deviceId: 'sensor-1', timestamp: 17, receivedAt: T0, metrics: { temperature: 1 } })}\n`,
      Buffer.from([0xff, 0xfe, 0x7b]),
    ]);

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result.records.map((r) => [r.recordId, r.result])).toEqual(
      event.records.map((r, index) => [
        r.recordId,
        ['Ok', 'Dropped', 'ProcessingFailed', 'ProcessingFailed', 'ProcessingFailed'][index],
      ]),
    );
    expect(decoded(result.records[0]?.data)).toBe(
      `{"deviceId":"sensor-1","timestamp":${T0},"receivedAt":${T0 + 40},"messageId":"m-1","sequence":7,"metrics":{"temperature":21.5}}\n`,
    );
    for (const [index, record] of result.records.entries()) {
      if (record.result !== 'Ok') expect(record.data).toBe(event.records[index]?.data);
    }
  });

  it('keeps the thresholds a record carries and answers every record of a large batch once', async () => {
    // Prepare
    const payloads = Array.from(
      { length: 300 },
      (_, i) =>
        `${JSON.stringify({ deviceId: `d-${i}`, timestamp: T0 + i, receivedAt: T0 + i, metrics: { v: i }, thresholds: { v: { above: 100 } } })}\n`,
    );

    // Act
    const result = await handler(firehoseEvent(payloads), lambdaContext());

    // Assess
    expect(new Set(result.records.map((r) => r.recordId)).size).toBe(300);
    expect(result.records.every((r) => r.result === 'Ok')).toBe(true);
    expect(JSON.parse(decoded(result.records[299]?.data))).toEqual({
      deviceId: 'd-299',
      timestamp: T0 + 299,
      receivedAt: T0 + 299,
      metrics: { v: 299 },
      thresholds: { v: { above: 100 } },
    });
  });
});

describe('normalizeRawRecord', () => {
  it('takes a packed record of several JSON lines: Ok with every line normalised, or ProcessingFailed naming the line', () => {
    // Prepare
    const message = (i: number) => ({ metrics: { t: i }, deviceId: 'a', receivedAt: T0 + i, timestamp: T0 + i });
    const packed = [1, 2, 3].map((i) => `${JSON.stringify(message(i))}\n`).join('');
    const withBadLine = `${JSON.stringify(message(1))}\n{"deviceId":"a"}\n${JSON.stringify(message(3))}\n`;

    // Act
    const outcomes = [normalizeRawRecord(Buffer.from(packed)), normalizeRawRecord(Buffer.from(withBadLine))];

    // Assess
    expect(outcomes[0]).toEqual({
      result: 'Ok',
      data: Buffer.from(
        [1, 2, 3]
          .map((i) => `{"deviceId":"a","timestamp":${T0 + i},"receivedAt":${T0 + i},"metrics":{"t":${i}}}\n`)
          .join(''),
      ),
    });
    expect(outcomes[1]).toEqual({
      result: 'ProcessingFailed',
      reason: expect.stringMatching(/^line 2 of 3: not a telemetry message: /),
    });
  });

  it('takes one JSON value spread over several lines as one message', () => {
    // Prepare
    const message = { deviceId: 'a', timestamp: T0, receivedAt: T0, metrics: { t: 1 } };

    // Act
    const outcome = normalizeRawRecord(Buffer.from(JSON.stringify(message, null, 2)));

    // Assess
    expect(outcome).toEqual({ result: 'Ok', data: Buffer.from(`${JSON.stringify(message)}\n`) });
  });

  it('says why a record is not telemetry', () => {
    // Act
    const outcomes = [
      normalizeRawRecord(Buffer.from('')),
      normalizeRawRecord(Buffer.from('{"deviceId":"a"}{"deviceId":"b"}')),
      normalizeRawRecord(Buffer.from(JSON.stringify({ deviceId: 'a', timestamp: T0, receivedAt: T0, metrics: {} }))),
      normalizeRawRecord(Buffer.from([0xc3, 0x28])),
    ];

    // Assess
    expect(outcomes).toEqual([
      { result: 'Dropped', reason: 'the record holds only whitespace' },
      { result: 'ProcessingFailed', reason: 'data is not one JSON value' },
      { result: 'ProcessingFailed', reason: 'not a telemetry message: metrics: must hold at least one reading' },
      { result: 'ProcessingFailed', reason: 'data is not UTF-8' },
    ]);
  });

  it('ends an Ok record with exactly one newline, whatever separator it arrived with', () => {
    // Prepare
    const message = { deviceId: 'a', timestamp: T0, receivedAt: T0, metrics: { t: 1 } };

    // Act
    const outcomes = ['', '\n', '\r\n', '\n\n'].map((separator) =>
      normalizeRawRecord(Buffer.from(`${JSON.stringify(message)}${separator}`)),
    );

    // Assess
    for (const outcome of outcomes) {
      expect(outcome.result).toBe('Ok');
      expect(outcome.result === 'Ok' && outcome.data.toString()).toBe(`${JSON.stringify(message)}\n`);
    }
  });
});
