import { execFile, spawnSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Fleet, startLocalFleet } from '@iot/device-simulator';
import { type Browser, chromium, type Page } from 'playwright-core';
import { mosquittoPublishLine } from '../../src/cli/start-output';
import { ensureDashboardBuild } from '../../src/dashboard';
import { eventually, ROOT, type StartedCloud, startCloud } from '../acceptance/local-cloud-fixture';

/*
 * The dashboard end to end: the local cloud started as `pnpm start` starts it (free ports, its own data folder,
 * short windows), a simulated fleet, and Debian's chromium driven by playwright-core through the pages a user sees.
 * Screenshots go to packages/dashboard/test-results/.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(ROOT, 'packages', 'dashboard', 'test-results');
/** A device of the demo user that only this test publishes for, so nothing clears its alarm behind its back. */
const QUIET_DEVICE = 'e2e-quiet-1';

let started: StartedCloud;
let fleet: Fleet | undefined;
let browser: Browser;
let page: Page;
let dashboardUrl: string;

async function demoToken(edge: string): Promise<string> {
  const answer = await fetch(`${edge}/_local/cognito/tokens`, {
    method: 'POST',
    body: JSON.stringify({ username: 'demo' }),
  });
  return ((await answer.json()) as { token: string }).token;
}

/**
 * Runs the `mosquitto_pub` line of `pnpm start`'s summary, as a user would paste it into a shell (asynchronously: the
 * broker runs in this process).
 */
async function runSummaryPublishLine(mqttUrl: string, deviceId: string): Promise<void> {
  await promisify(execFile)('sh', ['-c', mosquittoPublishLine(mqttUrl, deviceId)], { timeout: 10_000 });
}

/** What a chart's caption counts: "40 readings, latest 21.5 at 10:41:05; 12 windows, last mean 21.4". */
async function pointsShown(metric: string, what: 'readings' | 'windows'): Promise<number> {
  const caption = await page.locator(`figure[data-metric="${metric}"] .chart-caption`).textContent();
  return Number(new RegExp(`(\\d+) ${what.slice(0, -1)}s?\\b`).exec(caption ?? '')?.[1] ?? 0);
}

/** The WCAG 2 A and AA rules axe-core finds broken on the page, by rule id with the offending elements. */
async function accessibilityViolations(): Promise<{ id: string; nodes: string[] }[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = (await page.evaluate(
    "axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] }).then((r) => r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) })))",
  )) as { id: string; nodes: string[] }[];
  return result;
}

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  if (spawnSync(CHROMIUM, ['--version']).status !== 0) {
    throw new Error(`No chromium at ${CHROMIUM}: run node packages/local-cloud/scripts/ensure-test-tools.mjs`);
  }
  await rm(SCREENSHOTS, { recursive: true, force: true });
  await mkdir(SCREENSHOTS, { recursive: true });
  const build = await ensureDashboardBuild({ root: ROOT });
  started = await startCloud(undefined, { dashboardDist: build.distDir });
  const { endpoints } = started.cloud;
  dashboardUrl = endpoints.dashboard as string;
  const token = await demoToken(endpoints.edge);
  const registered = await fetch(`${endpoints.api}/devices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ deviceId: QUIET_DEVICE, type: 'sensor' }),
  });
  if (registered.status !== 201) throw new Error(`Registering ${QUIET_DEVICE}: ${registered.status}`);
  fleet = await startLocalFleet({
    mqttUrl: endpoints.mqtt as string,
    apiUrl: endpoints.api,
    token,
    dataDir: started.dataDir,
    devices: 2,
    intervalSeconds: 1,
    log: { info: () => {}, warn: (message) => console.warn(message) },
  });
  if (!fleet) throw new Error('The simulated fleet did not start');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(20_000);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await fleet?.stop();
  await started?.cloud.close();
}, 60_000);

describe('the dashboard in a real browser', () => {
  it('signs the demo user in and shows the fleet with its devices online', async () => {
    // Prepare
    await page.goto(dashboardUrl);

    // Act
    await page.getByLabel('User name').fill('demo');
    await page.getByRole('button', { name: 'Sign in' }).click();

    // Assess
    await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();
    const table = page.getByRole('table');
    for (const deviceId of ['sim-001', 'sim-002', QUIET_DEVICE]) {
      await table.getByRole('rowheader', { name: deviceId }).waitFor();
    }
    await table.getByRole('row', { name: /sim-001.*Online/ }).waitFor();
    expect(await accessibilityViolations()).toEqual([]);
    await shot('fleet');
  }, 60_000);

  it('charts a device’s readings as they arrive and its window metrics as windows close', async () => {
    // Prepare: nobody watched sim-001 before; the page's first read of its readings starts recording them.
    await page.getByRole('link', { name: 'sim-001' }).click();
    await page.getByRole('heading', { name: 'sim-001', level: 1 }).waitFor();
    await page.getByText(/Live readings are recorded while this page is open/).waitFor();
    await page.locator('figure[data-metric="temperature"] canvas').waitFor();
    const readings = await pointsShown('temperature', 'readings');
    const windows = await pointsShown('temperature', 'windows');

    // Act: the page polls; the simulator publishes every second into 3-second windows.
    const moreReadings = await eventually(
      'new readings on the temperature chart',
      async () => ((await pointsShown('temperature', 'readings')) > readings ? true : undefined),
      30_000,
    );
    const moreWindows = await eventually(
      'a new window on the temperature chart',
      async () => ((await pointsShown('temperature', 'windows')) > windows ? true : undefined),
      30_000,
    );

    // Assess
    expect(moreReadings && moreWindows).toBe(true);
    expect(await page.getByText(/Live readings are recorded while this page is open/).count()).toBe(0);
    expect(await accessibilityViolations()).toEqual([]);
    await shot('device-charts');
  }, 75_000);

  it('sends a configuration change that the simulated device applies and reports', async () => {
    // Prepare
    const reported = page.locator('pre[data-state="config-reported"]');
    await reported.waitFor();

    // Act
    await page.getByLabel('Reporting interval (seconds)').fill('2');
    await page.getByRole('button', { name: 'Send configuration' }).click();

    // Assess
    await page.getByText(/Sent as desired state/).waitFor();
    await page.locator('pre[data-state="config-desired"]', { hasText: '"reportingIntervalSeconds": 2' }).waitFor();
    await page.locator('pre[data-state="config-reported"]', { hasText: '"reportingIntervalSeconds": 2' }).waitFor();
    await page.getByTestId('config-sync').filter({ hasText: 'In step' }).waitFor();
    await shot('device-config');
  }, 60_000);

  it('sends a command and shows the simulated device’s answer', async () => {
    // Prepare
    await page.getByLabel('Command', { exact: true }).selectOption('identify');

    // Act
    await page.getByRole('button', { name: 'Send command' }).click();

    // Assess
    const sent = page.getByRole('list', { name: 'Commands sent' }).getByRole('listitem').first();
    await sent.filter({ hasText: 'identify' }).waitFor();
    await sent.locator('.command-status', { hasText: 'succeeded' }).waitFor();
  }, 60_000);

  it('shows the alarm of a breaching reading in the feed and acknowledges it', async () => {
    // Prepare: a threshold set in the dashboard's editor
    await page.goto(`${dashboardUrl}#/devices/${QUIET_DEVICE}`);
    await page.getByRole('heading', { name: QUIET_DEVICE, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByLabel('Metric').fill('temperature');
    await page.getByLabel('Alarm when').selectOption('above');
    await page.getByLabel('Limit', { exact: true }).fill('30');
    await page.getByLabel('Severity').selectOption('critical');
    await page.getByRole('button', { name: 'Save thresholds' }).click();
    await page.getByText('Thresholds saved.').waitFor();

    // Act: the device publishes a reading over it (temperature 42.5), with the line the start-up summary prints
    await runSummaryPublishLine(started.cloud.endpoints.mqtt as string, QUIET_DEVICE);
    await page.getByRole('link', { name: 'Alarms' }).click();
    const alarm = page.locator(`li[data-alarm="${QUIET_DEVICE}/temperature"]`);
    await alarm.waitFor({ timeout: 30_000 });
    await shot('alarm-feed');
    await alarm.getByRole('button', { name: `Acknowledge temperature alarm of ${QUIET_DEVICE}` }).click();

    // Assess
    await expectText(alarm, /critical/);
    await expectText(alarm, /42\.5 is above 30/);
    await page.getByText(`Acknowledged temperature on ${QUIET_DEVICE}.`).waitFor();
    await alarm.getByText(/^Acknowledged /).waitFor();
    await shot('alarm-acknowledged');
  }, 60_000);

  it('fits a phone’s width without sideways scrolling of the page', async () => {
    // Prepare
    await page.setViewportSize({ width: 390, height: 844 });

    // Act
    await page.goto(`${dashboardUrl}#/devices/sim-001`);
    await page.locator('figure[data-metric="temperature"] canvas').waitFor();

    // Assess
    const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('phone-device');
  }, 60_000);
});

async function expectText(locator: ReturnType<Page['locator']>, pattern: RegExp): Promise<void> {
  expect(await locator.textContent()).toMatch(pattern);
}
