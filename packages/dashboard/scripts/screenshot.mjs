#!/usr/bin/env node
/**
 * Takes the README's screenshot of the dashboard: Debian's chromium, driven by playwright-core as in the browser tests,
 * against a running `pnpm start` (found through the endpoints.json of its data folder), signed in as the demo user,
 * on the page of one simulated device.
 *
 *   pnpm --filter @iot/dashboard screenshot [--data-dir .local] [--device sim-001] [--out docs/dashboard.png]
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: join(root, '.local') },
    device: { type: 'string', default: 'sim-001' },
    out: { type: 'string', default: join(root, 'docs', 'dashboard.png') },
    width: { type: 'string', default: '1280' },
    height: { type: 'string', default: '1000' },
  },
});

const endpointsFile = join(resolve(values['data-dir']), 'endpoints.json');
const endpoints = JSON.parse(
  await readFile(endpointsFile, 'utf8').catch(() => {
    throw new Error(`No ${endpointsFile}: start the local cloud first (pnpm start), or pass --data-dir`);
  }),
);
if (!endpoints.dashboard) throw new Error('The running local cloud serves no dashboard (started with --no-dashboard?)');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: Number(values.width), height: Number(values.height) } });
  page.setDefaultTimeout(20_000);
  await page.goto(endpoints.dashboard);
  await page.getByLabel('User name').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('table').getByRole('rowheader', { name: values.device }).waitFor();
  await page.getByRole('link', { name: values.device, exact: true }).first().click();
  await page.locator('figure[data-metric] canvas').first().waitFor();
  await page.getByTestId('config-sync').waitFor();
  await mkdir(dirname(resolve(values.out)), { recursive: true });
  await page.screenshot({ path: resolve(values.out) });
  console.log(`Saved ${resolve(values.out)}`);
} finally {
  await browser.close();
}
