import type { TelemetryStreamRecord } from '@iot/types';
import fc from 'fast-check';
import {
  type Aggregate,
  addMessage,
  aggregateOf,
  emptyWindowState,
  fleetMetrics,
  isOutside,
  mergeAggregates,
  type WindowState,
  windowMetrics,
} from '../src/domain/window-aggregate';
import { comparePartIds, mergeDeviceParts, mergeFleetParts, partId } from '../src/domain/window-parts';

const T0 = 1_767_225_600_000;
const T1 = T0 + 60_000;

const message = (
  deviceId: string,
  timestamp: number,
  metrics: Record<string, number>,
  messageId?: string,
  thresholds?: TelemetryStreamRecord['thresholds'],
) =>
  ({
    deviceId,
    timestamp,
    receivedAt: timestamp + 50,
    metrics,
    ...(messageId ? { messageId } : {}),
    ...(thresholds ? { thresholds } : {}),
  }) as TelemetryStreamRecord;

const fold = (messages: TelemetryStreamRecord[], state: WindowState = emptyWindowState()) =>
  messages.reduce((s, m) => addMessage(s, m), state);

const byKey = <T extends { metric: string; deviceId?: string }>(items: T[]) =>
  [...items].sort((a, b) => `${a.deviceId ?? ''}/${a.metric}`.localeCompare(`${b.deviceId ?? ''}/${b.metric}`));

describe('window aggregation', () => {
  it('computes count, min, max, sum, mean, last and the time span per device and metric', () => {
    // Prepare
    const state = emptyWindowState();

    // Act
    addMessage(state, message('a', T0 + 1000, { temperature: 20, humidity: 40 }));
    addMessage(state, message('a', T0 + 3000, { temperature: 26 }));
    addMessage(state, message('a', T0 + 2000, { temperature: 17 }));
    addMessage(state, message('b', T0 + 1500, { temperature: 5 }));
    const metrics = windowMetrics(state, T0, T1);

    // Assess
    expect(metrics).toEqual(
      expect.arrayContaining([
        {
          deviceId: 'a',
          metric: 'temperature',
          windowStart: T0,
          windowEnd: T1,
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
    expect(metrics.some((m) => 'breaches' in m)).toBe(false);
  });

  it('takes as last the later arrival of two readings with the same device timestamp', () => {
    // Prepare
    const state = emptyWindowState();

    // Act
    addMessage(state, message('a', T0 + 5, { temperature: 1 }));
    addMessage(state, message('a', T0 + 5, { temperature: 2 }));

    // Assess
    expect(windowMetrics(state, T0, T1)[0]?.last).toBe(2);
  });

  it('counts a message delivered twice (same device and message id) once', () => {
    // Prepare
    const state = emptyWindowState();

    // Act
    addMessage(state, message('a', T0, { temperature: 20 }, 'm-1'));
    addMessage(state, message('a', T0, { temperature: 20 }, 'm-1'));
    addMessage(state, message('b', T0, { temperature: 30 }, 'm-1'));

    // Assess
    const byDevice = Object.fromEntries(windowMetrics(state, T0, T1).map((m) => [m.deviceId, m.count]));
    expect(byDevice).toEqual({ a: 1, b: 1 });
  });

  it('counts the readings outside the thresholds their records carry, strictly above or below', () => {
    // Prepare
    const limits = { temperature: { above: 30, below: 10 } };

    // Act
    const state = fold([
      message('a', T0 + 1, { temperature: 31, humidity: 50 }, 'm-1', limits),
      message('a', T0 + 2, { temperature: 30 }, 'm-2', limits),
      message('a', T0 + 3, { temperature: 9.5 }, 'm-3', limits),
      message('a', T0 + 4, { temperature: 50 }, 'm-4'),
      message('a', T0 + 5, { temperature: 10 }, 'm-5', { temperature: { below: 10 } }),
    ]);
    const metrics = windowMetrics(state, T0, T1);

    // Assess
    expect(metrics.find((m) => m.metric === 'temperature')).toMatchObject({ count: 5, breaches: 2 });
    expect(metrics.find((m) => m.metric === 'humidity')).not.toHaveProperty('breaches');
    expect(isOutside(5, undefined)).toBeUndefined();
    expect(isOutside(5, { above: 4 })).toBe(true);
    expect(isOutside(5, { above: 5, below: 5 })).toBe(false);
  });

  it('aggregates the fleet per metric over every device, with the number of devices', () => {
    // Prepare
    const state = fold([
      message('a', T0 + 1000, { temperature: 20, humidity: 40 }, undefined, { temperature: { above: 25 } }),
      message('a', T0 + 3000, { temperature: 26 }, undefined, { temperature: { above: 25 } }),
      message('b', T0 + 500, { temperature: 5 }),
    ]);

    // Act
    const fleet = fleetMetrics(state, T0, T1);

    // Assess
    expect(byKey(fleet)).toEqual([
      {
        metric: 'humidity',
        windowStart: T0,
        windowEnd: T1,
        count: 1,
        min: 40,
        max: 40,
        sum: 40,
        mean: 40,
        devices: 1,
        firstTimestamp: T0 + 1000,
        lastTimestamp: T0 + 1000,
      },
      {
        metric: 'temperature',
        windowStart: T0,
        windowEnd: T1,
        count: 3,
        min: 5,
        max: 26,
        sum: 51,
        mean: 17,
        devices: 2,
        firstTimestamp: T0 + 500,
        lastTimestamp: T0 + 3000,
        breaches: 1,
      },
    ]);
  });

  it('orders parts by shard, then by sequence number as a number', () => {
    // Prepare
    const parts = [
      partId('shardId-000000000001', '100'),
      partId('shardId-000000000000', '99'),
      partId('shardId-000000000000', '100'),
      partId('shardId-000000000000', undefined),
    ];

    // Act
    const ordered = [...parts].sort(comparePartIds);

    // Assess
    expect(ordered).toEqual([
      'shardId-000000000000',
      'shardId-000000000000#99',
      'shardId-000000000000#100',
      'shardId-000000000001#100',
    ]);
  });
});

describe('merging', () => {
  const reading = fc.record({
    value: fc.integer({ min: -1000, max: 1000 }),
    timestamp: fc.integer({ min: T0, max: T0 + 20 }), // a narrow span: ties on the device timestamp
    outside: fc.option(fc.boolean(), { nil: undefined }),
  });

  it('gives the same result whether partial aggregates are merged or all readings aggregated at once', () => {
    fc.assert(
      fc.property(fc.array(reading, { minLength: 2, maxLength: 50 }), fc.nat(), (readings, cut) => {
        // Prepare
        const split = 1 + (cut % (readings.length - 1));
        const foldAggregates = (rs: typeof readings) =>
          rs
            .map((r) => aggregateOf(r.value, r.timestamp, r.outside))
            .reduce((a, b) => mergeAggregates(a, b)) as Aggregate;

        // Act
        const atOnce = foldAggregates(readings);
        const merged = mergeAggregates(foldAggregates(readings.slice(0, split)), foldAggregates(readings.slice(split)));

        // Assess
        expect(merged).toEqual(atOnce);
      }),
    );
  });

  // Messages of a few devices and metrics, some with thresholds, some delivered twice.
  const messages = fc.array(
    fc.record({
      device: fc.constantFrom('a', 'b', 'c', 'd'),
      id: fc.integer({ min: 0, max: 30 }),
      timestamp: fc.integer({ min: T0, max: T0 + 20 }), // a narrow span: ties on the device timestamp
      temperature: fc.integer({ min: -50, max: 50 }),
      humidity: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
      above: fc.option(fc.integer({ min: -10, max: 10 }), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 60 },
  );
  const toMessage = (m: {
    device: string;
    id: number;
    timestamp: number;
    temperature: number;
    humidity: number | undefined;
    above: number | undefined;
  }) =>
    message(
      m.device,
      m.timestamp,
      { temperature: m.temperature, ...(m.humidity === undefined ? {} : { humidity: m.humidity }) },
      `m-${m.id}`,
      m.above === undefined ? undefined : { temperature: { above: m.above } },
    );

  it('merges the fleet parts of several shards (devices spread over them) into the fleet of all readings', () => {
    fc.assert(
      fc.property(messages, fc.func(fc.integer({ min: 0, max: 3 })), (input, shardOf) => {
        // Prepare: as the stream's partition key does, every device goes to one shard.
        const all = input.map(toMessage);
        const shards = new Map<number, TelemetryStreamRecord[]>();
        for (const m of all) {
          const shard = shardOf(m.deviceId);
          shards.set(shard, [...(shards.get(shard) ?? []), m]);
        }

        // Act
        const parts = [...shards].flatMap(([shard, ms]) =>
          fleetMetrics(fold(ms), T0, T1).map((f) => ({ ...f, part: partId(`shardId-00000000000${shard}`, '1') })),
        );
        const metrics = [...new Set(parts.map((p) => p.metric))];
        const merged = metrics.map((metric) => mergeFleetParts(parts.filter((p) => p.metric === metric)));

        // Assess
        expect(byKey(merged)).toEqual(byKey(fleetMetrics(fold(all), T0, T1)));
      }),
    );
  });

  it('merges the parts of a window that ended early into what one part would have held', () => {
    fc.assert(
      fc.property(messages, fc.nat(), (input, cut) => {
        // Prepare: the same shard, the window cut in two at an arrival; message ids unique, as within one part only
        // a duplicate is recognised.
        const all = input.map((m, index) => toMessage({ ...m, id: index }));
        const split = cut % (all.length + 1);
        const firstPart = fold(all.slice(0, split));
        const secondPart = fold(all.slice(split));
        const shard = 'shardId-000000000000';
        const tagged = <T>(items: T[], sequence: string) =>
          items.map((item) => ({ ...item, part: partId(shard, sequence) }));

        // Act
        const deviceParts = [
          ...tagged(windowMetrics(secondPart, T0, T1), '1000'),
          ...tagged(windowMetrics(firstPart, T0, T1), '999'),
        ];
        const fleetParts = [
          ...tagged(fleetMetrics(secondPart, T0, T1), '1000'),
          ...tagged(fleetMetrics(firstPart, T0, T1), '999'),
        ];
        const keys = [...new Set(deviceParts.map((p) => `${p.deviceId}/${p.metric}`))];
        const devices = keys.map((key) =>
          mergeDeviceParts(deviceParts.filter((p) => `${p.deviceId}/${p.metric}` === key)),
        );
        const fleet = [...new Set(fleetParts.map((p) => p.metric))].map((metric) =>
          mergeFleetParts(fleetParts.filter((p) => p.metric === metric)),
        );

        // Assess: everything but the device count, which counts a device once per part it appears in.
        const atOnce = fold(all);
        expect(byKey(devices)).toEqual(byKey(windowMetrics(atOnce, T0, T1)));
        const withoutDevices = (items: ReturnType<typeof fleetMetrics>) =>
          byKey(items).map(({ devices: _devices, ...rest }) => rest);
        expect(withoutDevices(fleet)).toEqual(withoutDevices(fleetMetrics(atOnce, T0, T1)));
      }),
    );
  });
});
