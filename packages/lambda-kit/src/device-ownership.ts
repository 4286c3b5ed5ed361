import { DevicePathSchema } from '@iot/types';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type Caller, callerOf } from './caller';
import { HttpProblem, parsePathParameters } from './http';

/*
 * Who may use a device through the REST API: the user who registered it, and nobody else. Every route with a
 * `{deviceId}` answers the same way, whichever service serves it: another user's device is 403 (with the reason),
 * a device nobody registered is 404, and the check comes before the request's body is read.
 */

/** What the devices table (iot-device-config-api's) knows of a device's ownership. */
export interface DeviceOwnership {
  /** The `sub` of the user who registered the device. */
  ownerId: string;
  /** False while the registration is under way (the thing not created yet): not a device yet. */
  registered: boolean;
}

/** Reads the owner of devices from where the registrations are kept. */
export interface DeviceOwners {
  /** The device's ownership; `undefined` when no device has this id. */
  ownershipOf(deviceId: string): Promise<DeviceOwnership | undefined>;
  /** The ids of the user's registered devices (for routes that list across devices). */
  devicesOf(ownerId: string): Promise<Set<string>>;
}

/** No registered device has this id (404). */
export class DeviceNotFoundError extends Error {
  constructor(readonly deviceId: string) {
    super(`No device ${deviceId} is registered`);
    this.name = 'DeviceNotFoundError';
  }
}

/** The device belongs to another user (403). */
export class DeviceNotOwnedError extends Error {
  constructor(readonly deviceId: string) {
    super(`Device ${deviceId} belongs to another user`);
    this.name = 'DeviceNotOwnedError';
  }
}

/**
 * Throws unless `caller` owns the device: `DeviceNotOwnedError` if another user registered it (even while that
 * registration is under way), `DeviceNotFoundError` if nobody did or the caller's own registration is unfinished.
 */
export function assertDeviceOwner(
  deviceId: string,
  ownership: DeviceOwnership | undefined,
  caller: Pick<Caller, 'userId'>,
): void {
  if (!ownership) throw new DeviceNotFoundError(deviceId);
  if (ownership.ownerId !== caller.userId) throw new DeviceNotOwnedError(deviceId);
  if (!ownership.registered) throw new DeviceNotFoundError(deviceId);
}

/** The ownership errors as the caller sees them: 404 and 403 problem details; `undefined` for anything else. */
export function ownershipProblem(error: unknown): HttpProblem | undefined {
  if (error instanceof DeviceNotFoundError) return new HttpProblem(404, 'Not Found', error.message);
  if (error instanceof DeviceNotOwnedError) return new HttpProblem(403, 'Forbidden', error.message);
  return undefined;
}

/** Checks that the caller of a request owns the device of its `{deviceId}`; throws `HttpProblem` 400/401/403/404. */
export async function requireDeviceOwner(
  owners: Pick<DeviceOwners, 'ownershipOf'>,
  event: APIGatewayProxyEvent,
): Promise<{ caller: Caller; deviceId: string }> {
  const caller = callerOf(event);
  const { deviceId } = parsePathParameters(DevicePathSchema, event);
  try {
    assertDeviceOwner(deviceId, await owners.ownershipOf(deviceId), caller);
  } catch (error) {
    throw ownershipProblem(error) ?? error;
  }
  return { caller, deviceId };
}

/**
 * Middy middleware of a route under `/devices/{deviceId}`: before the handler runs (and before the body is read),
 * the caller must be signed in (401), the device id well formed (400), registered (404) and the caller's (403).
 * Put it after `problemDetails` so that its refusals are answered as problem details.
 */
export function deviceOwnerOnly(
  owners: Pick<DeviceOwners, 'ownershipOf'>,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: async (request) => {
      await requireDeviceOwner(owners, request.event);
    },
  };
}
