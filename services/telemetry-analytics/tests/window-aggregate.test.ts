import type { TelemetryRuleEvent } from '@iot/types';
import fc from 'fast-check';
import {
  type Aggregate,
  addMessage,
  aggregateOf,
  emptyWindowState,
  mergeAggregates,
  windowMetrics,
} from '../src/domain/window-aggregate';

const T0 = 1_767_225_600_000;

const message = (deviceId: string, timestamp: number, metrics: Record<string, number>, messageId?: string) =>
  ({
    deviceId,
    timestamp,
    receivedAt: timestamp + 50,
    metrics,
    ...(messageId ? { messageId } : {}),
  }) as TelemetryRuleEvent;

describe('window aggregation', () => {
  it('computes count, min, max, sum, mean, last and the time span per device and metric', () => {
    // Prepare
    const state = emptyWindowState();

    // Act
    addMessage(state, message('a', T0 + 1000, { temperature: 20, humidity: 40 }));
    addMessage(state, message('a', T0 + 3000, { temperature: 26 }));
    addMessage(state, message('a', T0 + 2000, { temperature: 17 }));
    addMessage(state, message('b', T0 + 1500, { temperature: 5 }));
    const metrics = windowMetrics(state, T0, T0 + 60_000);

    // Assess
    expect(metrics).toEqual(
      expect.arrayContaining([
        {
          deviceId: 'a',
          metric: 'temperature',
          windowStart: T0,
          windowEnd: T0 + 60_000,
          count: 3,
          min: 17,
          max: 26,
          sum: 63,
          mean: 21,
          last: 26,
          firstTimestamp: T0 + 1000,
          lastTimestamp: T0 + 3000,
        },
        expect.objectContaining({ deviceId: 'a', metric: 'humidity', count: 1, mean: 40 }),
        expect.objectContaining({ deviceId: 'b', metric: 'temperature', count: 1, last: 5 }),
      ]),
    );
    expect(metrics).toHaveLength(3);
  });

  it('counts a message delivered twice (same device and message id) once', () => {
    // Prepare
    const state = emptyWindowState();

    // Act
    addMessage(state, message('a', T0, { temperature: 20 }, 'm-1'));
    addMessage(state, message('a', T0, { temperature: 20 }, 'm-1'));
    addMessage(state, message('b', T0, { temperature: 30 }, 'm-1'));

    // Assess
    const byDevice = Object.fromEntries(windowMetrics(state, T0, T0 + 60_000).map((m) => [m.deviceId, m.count]));
    expect(byDevice).toEqual({ a: 1, b: 1 });
  });

  it('gives the same result whether partial aggregates are merged or all readings aggregated at once', () => {
    const reading = fc.record({
      value: fc.integer({ min: -1000, max: 1000 }),
      timestamp: fc.integer({ min: T0, max: T0 + 59_999 }),
    });
    fc.assert(
      fc.property(fc.array(reading, { minLength: 2, maxLength: 50 }), fc.nat(), (readings, cut) => {
        // Prepare
        const split = 1 + (cut % (readings.length - 1));
        const fold = (rs: typeof readings) =>
          rs.map((r) => aggregateOf(r.value, r.timestamp)).reduce((a, b) => mergeAggregates(a, b)) as Aggregate;

        // Act
        const atOnce = fold(readings);
        const merged = mergeAggregates(fold(readings.slice(0, split)), fold(readings.slice(split)));

        // Assess
        expect(merged).toEqual(atOnce);
      }),
    );
  });
});
