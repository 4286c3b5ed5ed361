import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboardSite } from '../../src/dashboard';
import { type EdgeServer, startEdgeServer } from '../../src/edge/edge-server';

describe('the dashboard served on the edge endpoint', () => {
  let edge: EdgeServer;
  let dist: string;

  beforeEach(async () => {
    dist = await mkdtemp(join(tmpdir(), 'dashboard-dist-'));
    await mkdir(join(dist, 'assets'));
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>dashboard</title>');
    await writeFile(join(dist, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(dist, 'config.json'), '{"apiUrl":"https://built-in.example.com"}');
    edge = await startEdgeServer({ services: [] });
    edge.mount(
      '/dashboard',
      dashboardSite(dist, { apiUrl: 'http://127.0.0.1:3000/local', localTokenUrl: '/_local/cognito/tokens' }),
    );
  });

  afterEach(() => edge.close());

  it('serves the build under /dashboard/, its files with their media types', async () => {
    // Act
    const index = await fetch(`${edge.url}/dashboard/`);
    const script = await fetch(`${edge.url}/dashboard/assets/app.js`);

    // Assess
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await index.text()).toContain('<title>dashboard</title>');
    expect(script.headers.get('content-type')).toMatch(/javascript/);
  });

  it('answers config.json with the local cloud’s own API and token issuer, whatever the build holds', async () => {
    // Act
    const answer = await fetch(`${edge.url}/dashboard/config.json`);

    // Assess
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(await answer.json()).toEqual({
      apiUrl: 'http://127.0.0.1:3000/local',
      localTokenUrl: '/_local/cognito/tokens',
    });
  });

  it('redirects /dashboard to /dashboard/, so the relative asset URLs resolve', async () => {
    // Act
    const answer = await fetch(`${edge.url}/dashboard`, { redirect: 'manual' });

    // Assess
    expect(answer.status).toBe(308);
    expect(answer.headers.get('location')).toBe('/dashboard/');
  });

  it('answers 404 for a file the build lacks, and leaves other paths to the AWS services', async () => {
    // Act
    const missing = await fetch(`${edge.url}/dashboard/nothing.js`);
    const traversal = await fetch(`${edge.url}/dashboard/..%2f..%2fetc%2fpasswd`);
    const aws = await fetch(`${edge.url}/dashboards`);

    // Assess
    expect(missing.status).toBe(404);
    expect(traversal.status).toBe(404);
    expect(aws.status).toBe(400);
    expect(await aws.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });
});
