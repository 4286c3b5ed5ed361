import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import sirv from 'sirv';
import type { LocalCloudExtension } from '../local-cloud';
import { DASHBOARD_BUILD_COMMAND, DashboardBuildError } from './dashboard-build';

/** Where the edge endpoint serves the dashboard. */
export const DASHBOARD_PATH = '/dashboard/';

/** What the dashboard reads from `config.json` at run time (see packages/dashboard/src/config.ts). */
export interface DashboardRuntimeConfig {
  apiUrl: string;
  localTokenUrl?: string;
  stage?: string;
  pollSeconds?: number;
}

/**
 * Serves the dashboard's static build under `/dashboard/`, with a `config.json` naming this local cloud's REST API and
 * token issuer in place of any file of that name.
 */
export function dashboardSite(distDir: string, config: DashboardRuntimeConfig) {
  const files = sirv(distDir, { dev: false, etag: true, single: false, dotfiles: false });
  const configBody = `${JSON.stringify(config, null, 2)}\n`;
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (path === DASHBOARD_PATH.slice(0, -1)) {
      res.writeHead(308, { location: DASHBOARD_PATH });
      res.end();
      return;
    }
    if (path === `${DASHBOARD_PATH}config.json`) {
      res.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(configBody),
      });
      res.end(configBody);
      return;
    }
    req.url = (req.url ?? '/').slice(DASHBOARD_PATH.length - 1);
    files(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`No such file in the dashboard: ${path}\n`);
    });
  };
}

/**
 * The dashboard, served on the edge endpoint at `/dashboard/` from its build in `distDir` (see ensureDashboardBuild),
 * talking to this local cloud's REST API; its URL is the `dashboard` endpoint.
 */
export function localDashboard(options: { distDir: string; pollSeconds?: number }): LocalCloudExtension {
  return {
    name: 'dashboard',
    async start(context) {
      if (!(await stat(join(options.distDir, 'index.html')).catch(() => undefined))) {
        throw new DashboardBuildError(
          `The dashboard is not built (no ${join(options.distDir, 'index.html')}): run ${DASHBOARD_BUILD_COMMAND}.`,
        );
      }
      return {
        sites: {
          [DASHBOARD_PATH.slice(0, -1)]: dashboardSite(options.distDir, {
            apiUrl: context.apiUrl,
            localTokenUrl: '/_local/cognito/tokens',
            stage: context.stage,
            pollSeconds: options.pollSeconds ?? 5,
          }),
        },
        endpoints: { dashboard: `${context.edgeUrl}${DASHBOARD_PATH}` },
      };
    },
  };
}
