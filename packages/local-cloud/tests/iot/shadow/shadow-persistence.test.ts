import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseUpdateRequest, ShadowStore } from '../../../src/iot/shadow';

const update = (store: ShadowStore, ref: { thingName: string; shadowName?: string }, body: unknown) =>
  store.update(ref, parseUpdateRequest(Buffer.from(JSON.stringify(body))));

describe('shadow persistence', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'iot-shadows-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('brings back shadows, metadata, versions and deleted versions in a new store on the same dataDir', async () => {
    // Prepare
    const first = new ShadowStore({ dataDir, now: () => 1_000_000 });
    update(first, { thingName: 'lamp-1' }, { state: { desired: { on: true }, reported: { on: false } } });
    update(first, { thingName: 'lamp-1', shadowName: 'config' }, { state: { desired: { interval: 30 } } });
    update(first, { thingName: 'lamp-2' }, { state: { reported: { a: 1 } } });
    update(first, { thingName: 'lamp-2' }, { state: { reported: { a: 2 } } });
    first.delete({ thingName: 'lamp-2' });
    await first.close();

    // Act
    const second = new ShadowStore({ dataDir, now: () => 2_000_000 });
    const classic = second.get({ thingName: 'lamp-1' });
    const names = second.listNamedShadows('lamp-1');
    const recreated = update(second, { thingName: 'lamp-2' }, { state: { reported: { a: 3 } } });

    // Assess
    expect(classic).toEqual({
      state: { desired: { on: true }, reported: { on: false }, delta: { on: true } },
      metadata: {
        desired: { on: { timestamp: 1000 } },
        reported: { on: { timestamp: 1000 } },
        delta: { on: { timestamp: 1000 } },
      },
      version: 1,
      timestamp: 2000,
    });
    expect(names.results).toEqual(['config']);
    expect(recreated.shadow.version).toBe(3);
  });

  it('writes a burst of changes once after a quiet period', async () => {
    // Prepare
    const store = new ShadowStore({ dataDir, persistDebounceMs: 20 });

    // Act
    for (let i = 0; i < 5; i += 1) update(store, { thingName: 'lamp-1' }, { state: { reported: { i } } });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const written = JSON.parse(await readFile(join(dataDir, 'iot-shadows.json'), 'utf8'));

    // Assess
    expect(written.shadows).toHaveLength(1);
    expect(written.shadows[0].document.version).toBe(5);
    await store.close();
  });
});
