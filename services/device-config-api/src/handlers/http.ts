import { HttpProblem, type HttpRouteDependencies, httpRoute, ownershipProblem } from '@iot/lambda-kit';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { CommandNotFoundError } from '../domain/commands';
import { VersionConflictError } from '../domain/device-config';
import { DeviceAlreadyRegisteredError } from '../domain/devices';

/** The largest request body the routes accept: a configuration, a registration or a command is far smaller. */
export const MAX_BODY_BYTES = 16 * 1024;

/** What every HTTP function of the service needs. */
export interface HttpDependencies extends HttpRouteDependencies {
  /** The dashboard's origin(s), for CORS. */
  corsOrigin: string;
}

/** The domain errors of the service as the caller sees them. */
export function mapDomainError(error: unknown): HttpProblem | undefined {
  const ownership = ownershipProblem(error);
  if (ownership) return ownership;
  if (error instanceof CommandNotFoundError) return new HttpProblem(404, 'Not Found', error.message);
  if (error instanceof DeviceAlreadyRegisteredError) return new HttpProblem(409, 'Conflict', error.message);
  if (error instanceof VersionConflictError) return new HttpProblem(412, 'Precondition Failed', error.message);
  return undefined;
}

/**
 * The middy stack of every HTTP function (`httpRoute`): CORS on every answer (errors included), then problem details
 * for every failure (this service's domain errors mapped, AWS throttling as 429, anything else a 500 that reveals
 * nothing).
 */
export function httpHandler(
  { logger, corsOrigin }: HttpDependencies,
  handle: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>,
) {
  return httpRoute({ logger, corsOrigin, mapError: mapDomainError }, handle);
}
