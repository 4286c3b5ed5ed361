import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Caller } from './caller';
import { cors } from './cors';
import { type DeviceOwners, requireDeviceOwner } from './device-ownership';
import { type HttpProblem, problemDetails } from './http';
import { createLogger, type Logger } from './logger';

/** What every HTTP route of a service is built with. */
export interface HttpRouteDependencies {
  logger: Logger;
  /** The origin(s) a browser may call from (CORS_ALLOWED_ORIGIN); no CORS headers without it. */
  corsOrigin?: string;
}

/** What a route under `/devices/{deviceId}` is built with. */
export interface DeviceRouteDependencies extends HttpRouteDependencies {
  /** Who owns which device: only the owner may use the route. */
  owners: Pick<DeviceOwners, 'ownershipOf'>;
}

export interface RouteOptions {
  /** Maps the service's domain errors to what the caller sees; `undefined` leaves the error a 500. */
  mapError?: (error: unknown) => HttpProblem | undefined;
}

/** The device of a request that passed the ownership check, and its owner, who made the request. */
export interface OwnedDevice {
  deviceId: string;
  caller: Caller;
}

/** The environment every HTTP function reads (each service's config schema declares these). */
export interface HttpRouteConfig {
  POWERTOOLS_SERVICE_NAME: string;
  CORS_ALLOWED_ORIGIN?: string;
}

/** The dependencies of an HTTP route from its function's configuration: the service's logger and its CORS origin. */
export function httpRouteDependencies(config: HttpRouteConfig): HttpRouteDependencies {
  return { logger: createLogger(config.POWERTOOLS_SERVICE_NAME), corsOrigin: config.CORS_ALLOWED_ORIGIN };
}

/**
 * The middy stack of an HTTP route of the REST API: CORS headers on every answer (errors included), then every
 * failure answered as problem details (`HttpProblem` as it is, domain errors through `mapError`, AWS throttling as a
 * 429, anything else a 500 that reveals nothing).
 */
export function httpRoute(
  { logger, corsOrigin, mapError }: HttpRouteDependencies & RouteOptions,
  handle: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>,
) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger, mapError }))
    .handler(handle);
}

/**
 * An HTTP route under `/devices/{deviceId}` (the stack of `httpRoute`) that only the device's owner may use: before
 * `handle` runs, and so before the body is read, the caller must be signed in (401), the device id well formed (400),
 * the device registered (404) and the caller's (403). `handle` gets the checked device id and the caller.
 */
export function deviceRoute(
  { owners, ...dependencies }: DeviceRouteDependencies & RouteOptions,
  handle: (event: APIGatewayProxyEvent, device: OwnedDevice, context: Context) => Promise<APIGatewayProxyResult>,
) {
  return httpRoute(dependencies, async (event, context) =>
    handle(event, await requireDeviceOwner(owners, event), context),
  );
}
