import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DashboardBuildError, dashboardHash, ensureDashboardBuild } from '../../src/dashboard';

/** A repository with a dashboard package and shared types, but nothing installed. */
async function fakeRepository(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'dashboard-build-'));
  await mkdir(join(root, 'packages', 'dashboard', 'src'), { recursive: true });
  await mkdir(join(root, 'packages', 'types', 'src'), { recursive: true });
  await writeFile(join(root, 'packages', 'dashboard', 'package.json'), '{"name":"@iot/dashboard"}');
  await writeFile(join(root, 'packages', 'dashboard', 'src', 'main.tsx'), 'export {};');
  await writeFile(join(root, 'packages', 'types', 'src', 'index.ts'), 'export {};');
  await writeFile(join(root, 'pnpm-lock.yaml'), 'lockfileVersion: 9.0');
  return root;
}

describe('the dashboard build of pnpm start', () => {
  it('reuses a build made from the same sources', async () => {
    // Prepare
    const root = await fakeRepository();
    const dist = join(root, 'packages', 'dashboard', 'dist');
    await mkdir(dist);
    await writeFile(join(dist, 'index.html'), '<!doctype html>');
    await writeFile(join(dist, '.build-hash'), await dashboardHash(root));
    let building = false;

    // Act
    const build = await ensureDashboardBuild({ root, onBuilding: () => (building = true) });

    // Assess
    expect(build).toEqual({ distDir: dist, built: false });
    expect(building).toBe(false);
  });

  it('sees a change of the dashboard, of the shared types and of the lockfile, but not of its build or tests', async () => {
    // Prepare
    const root = await fakeRepository();
    const before = await dashboardHash(root);

    // Act
    await mkdir(join(root, 'packages', 'dashboard', 'dist'));
    await writeFile(join(root, 'packages', 'dashboard', 'dist', 'index.html'), 'built');
    await mkdir(join(root, 'packages', 'dashboard', 'test-results'));
    await writeFile(join(root, 'packages', 'dashboard', 'test-results', 'shot.png'), 'png');
    const unchanged = await dashboardHash(root);
    await writeFile(join(root, 'packages', 'dashboard', 'src', 'main.tsx'), 'export const x = 1;');
    const sourceChanged = await dashboardHash(root);
    await writeFile(join(root, 'packages', 'types', 'src', 'index.ts'), 'export const y = 1;');
    const typesChanged = await dashboardHash(root);
    await writeFile(join(root, 'pnpm-lock.yaml'), 'lockfileVersion: 9.1');
    const lockChanged = await dashboardHash(root);

    // Assess
    expect(unchanged).toBe(before);
    expect(new Set([before, sourceChanged, typesChanged, lockChanged]).size).toBe(4);
  });

  it('says to run pnpm install when the build tool is missing', async () => {
    // Prepare
    const root = await fakeRepository();

    // Act
    const building = ensureDashboardBuild({ root });

    // Assess
    await expect(building).rejects.toThrow(DashboardBuildError);
    await expect(building).rejects.toThrow(/run pnpm install/);
  });
});
