/**
 * Evaluations per second of three representative rules against hand-written JavaScript doing the same work
 * on the same payloads (decoding and parsing the JSON payload included on both sides).
 * Run with `pnpm --filter @iot/iot-sql bench`. A benchmark, not a test: numbers depend on the machine.
 */
import { compileRule } from '../src';

type Handwritten = (topic: string, payload: Uint8Array) => unknown;

interface Scenario {
  name: string;
  sql: string;
  topic: string;
  handwritten: Handwritten;
}

const DEVICE_COUNT = 64;
const STATUSES = ['active', 'idle', 'fault'];

function telemetryPayloads(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < DEVICE_COUNT; i++) {
    out.push(
      Buffer.from(
        JSON.stringify({
          deviceId: `device-${i}`,
          temperature: 20 + ((i * 7.31) % 45),
          humidity: 30 + ((i * 3.7) % 50),
          status: STATUSES[i % 3],
          battery: { level: 100 - i, charging: i % 2 === 0 },
          firmware: '1.4.2',
        }),
      ),
    );
  }
  return out;
}

function sensorPayloads(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < DEVICE_COUNT; i++) {
    out.push(
      Buffer.from(
        JSON.stringify({
          bn: `device-${i}`,
          e: [
            { n: 'temperature', u: 'Cel', t: 1234 + i, v: 20 + (i % 10) / 4 },
            { n: 'light', u: 'lm', t: 1235 + i, v: 100 + i },
            { n: 'acidity', u: 'pH', t: 1235 + i, v: 7 },
            { n: 'temperature', u: 'Cel', t: 1236 + i, v: 21 + (i % 7) / 2 },
          ],
        }),
      ),
    );
  }
  return out;
}

function parse(payload: Uint8Array): Record<string, unknown> {
  return JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
}

const scenarios: (Scenario & { payloads: Uint8Array[] })[] = [
  {
    name: 'WHERE filter',
    sql: "SELECT * FROM 'devices/+/telemetry' WHERE temperature > 50 AND status = 'active'",
    topic: 'devices/device-7/telemetry',
    payloads: telemetryPayloads(),
    handwritten: (_topic, payload) => {
      const o = parse(payload);
      return typeof o.temperature === 'number' && o.temperature > 50 && o.status === 'active' ? o : undefined;
    },
  },
  {
    name: 'projection with functions',
    sql: "SELECT topic(2) AS deviceId, upper(status) AS status, round(temperature * 1.8 + 32) AS fahrenheit, battery.level AS battery, timestamp() AS ts FROM 'devices/+/telemetry'",
    topic: 'devices/device-7/telemetry',
    payloads: telemetryPayloads(),
    handwritten: (topic, payload) => {
      const o = parse(payload);
      const battery = o.battery as { level?: number } | undefined;
      return {
        deviceId: topic.split('/')[1],
        status: typeof o.status === 'string' ? o.status.toUpperCase() : undefined,
        fahrenheit: typeof o.temperature === 'number' ? Math.round(o.temperature * 1.8 + 32) : undefined,
        battery: battery?.level,
        ts: Date.now(),
      };
    },
  },
  {
    name: 'nested query',
    sql: "SELECT bn AS device, (SELECT VALUE v FROM e WHERE n = 'temperature') AS temperatures FROM 'sensors/#'",
    topic: 'sensors/site-1/device-7',
    payloads: sensorPayloads(),
    handwritten: (_topic, payload) => {
      const o = parse(payload);
      const e = Array.isArray(o.e) ? (o.e as { n?: unknown; v?: unknown }[]) : [];
      const temperatures: unknown[] = [];
      for (const item of e) if (item.n === 'temperature' && item.v !== undefined) temperatures.push(item.v);
      return { device: o.bn, temperatures };
    },
  },
];

function measure(run: (i: number) => unknown, minMs: number): number {
  let sink = 0;
  for (let i = 0; i < 20000; i++) if (run(i) !== undefined) sink++;
  let iterations = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 5000; i++) if (run(iterations + i) !== undefined) sink++;
    iterations += 5000;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  if (sink < 0) console.log(sink);
  return (iterations / elapsed) * 1000;
}

const rows: string[] = [];
for (const s of scenarios) {
  const rule = compileRule(s.sql, { sqlVersion: '2016-03-23' });
  const n = s.payloads.length;
  const ours = () =>
    measure((i) => {
      const r = rule.evaluate({ topic: s.topic, payload: s.payloads[i % n] as Uint8Array, timestamp: 1 });
      return r.matched ? r.output : undefined;
    }, 200);
  const theirs = () => measure((i) => s.handwritten(s.topic, s.payloads[i % n] as Uint8Array), 200);
  // Alternate short rounds of both sides and keep each side's best round: other work on the machine only
  // ever slows a round down, so the best rounds are the fairest comparison.
  let a = 0;
  let b = 0;
  for (let round = 0; round < 10; round++) {
    a = Math.max(a, ours());
    b = Math.max(b, theirs());
  }
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  rows.push(`| ${s.name} | ${fmt(a)} | ${fmt(b)} | ${((a / b) * 100).toFixed(0)}% |`);
}

console.log(`Node ${process.version}, ${process.arch}`);
console.log('| rule | @iot/iot-sql (evaluations/s) | hand-written JS (evaluations/s) | ratio |');
console.log('| --- | ---: | ---: | ---: |');
for (const row of rows) console.log(row);
