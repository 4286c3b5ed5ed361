import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TELEMETRY_RULE_NAME, fleetDeviceIds, telemetryRuleNameFrom } from '../src/fleet';
import { deriveSeed, seededRandom } from '../src/random';

describe('fleetDeviceIds', () => {
  it('numbers the devices from 1 with at least three digits, wider for large fleets', () => {
    // Act
    const small = fleetDeviceIds(3);
    const large = fleetDeviceIds(1200, 'bench');

    // Assess
    expect(small).toEqual(['sim-001', 'sim-002', 'sim-003']);
    expect(large[0]).toBe('bench-0001');
    expect(large.at(-1)).toBe('bench-1200');
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for a seed, stays in [0, 1), and gives each device of a fleet its own', () => {
    // Act
    const a = Array.from({ length: 1_000 }, seededRandom(5));
    const b = Array.from({ length: 1_000 }, seededRandom(5));
    const devices = Array.from({ length: 50 }, (_, i) => seededRandom(deriveSeed(5, i))());

    // Assess
    expect(b).toEqual(a);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
    expect(new Set(devices).size).toBe(50);
  });
});

describe('telemetryRuleNameFrom', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'device-simulator-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads the TelemetryRuleName output the local cloud wrote to stacks.json', async () => {
    // Prepare
    const stacks = {
      'iot-ingestion-rules-dev': {
        service: 'ingestion-rules',
        outputs: { TelemetryRuleName: 'iot_ingestion_rules_dev_telemetry' },
      },
    };
    await writeFile(join(dataDir, 'stacks.json'), JSON.stringify(stacks));

    // Act
    const name = await telemetryRuleNameFrom(dataDir);

    // Assess
    expect(name).toBe('iot_ingestion_rules_dev_telemetry');
  });

  it('falls back to the local stage’s rule when no local cloud ran there', async () => {
    // Act
    const name = await telemetryRuleNameFrom(dataDir);

    // Assess
    expect(name).toBe(DEFAULT_TELEMETRY_RULE_NAME);
  });
});
