import { localIotCore } from './iot/local-iot-core';
import type { LocalCloudExtension } from './local-cloud';
import { startLocalCognito } from './services/cognito';
import { EventScheduler, SCHEDULES_LOCAL_PREFIX, schedulesLocalRoute } from './services/events';

/**
 * Cognito user pools: the pools and app clients of the templates, a token issuer (JWKS and token minting under
 * `/_local/cognito/...`), and the check of COGNITO_USER_POOLS authorizers on the REST API.
 */
export function localCognito(): LocalCloudExtension {
  return {
    name: 'Cognito user pools',
    async start(context) {
      const cognito = await startLocalCognito({ dataDir: context.dataDir });
      return {
        providers: cognito.providers,
        authorize: cognito.authorize,
        localRoutes: { cognito: cognito.localRoute },
      };
    },
  };
}

/**
 * EventBridge schedules: the `rate(...)` and `cron(...)` rules of the templates, run on time; `GET /_local/schedules`
 * lists them and `POST /_local/schedules/<rule>/run` (body `{"time": ...}`, optional) runs one now, as its run at that
 * time would, for tests and demos that cannot wait for the schedule.
 */
export function localScheduler(): LocalCloudExtension {
  return {
    name: 'EventBridge schedules',
    async start(context) {
      const scheduler = new EventScheduler({
        invoker: context.services.lambda,
        queues: context.services.sqs,
        topics: context.services.sns,
        region: context.region,
        logger: { info: () => undefined, warn: (message: string) => context.logger.warn(message) },
      });
      return {
        eventRules: scheduler,
        localRoutes: { [SCHEDULES_LOCAL_PREFIX]: schedulesLocalRoute(scheduler) },
        close: () => scheduler.close(),
      };
    },
  };
}

/** What `iot-local start` runs beside the core services. */
export function defaultExtensions(): LocalCloudExtension[] {
  return [localIotCore(), localCognito(), localScheduler()];
}
