import { assertDeviceOwner } from '@iot/lambda-kit';
import type {
  Device,
  DeviceAttributes,
  DevicePresenceEvent,
  DeviceType,
  RegisterDeviceRequest,
  RegisteredDevice,
  ShadowState,
} from '@iot/types';

/** A registered device as the devices table keeps it. */
export interface DeviceRecord {
  deviceId: string;
  /** The `sub` of the user the device belongs to. */
  ownerId: string;
  type: DeviceType;
  attributes: DeviceAttributes;
  registeredAt: number;
  /** Set once the thing exists in the AWS IoT registry; absent while a registration is under way. */
  thingArn?: string;
  connectivity?: {
    state: 'connected' | 'disconnected';
    since: number;
    disconnectReason?: string;
    /** The lifecycle event's versionNumber, which orders events of the same millisecond. */
    versionNumber?: number;
  };
  lastSeenAt?: number;
}

/** The devices table: who owns which device, and what is known of its connection. */
export interface DeviceStore {
  /** Records a new device; false (and nothing written) if the device id is already taken. */
  claim(record: DeviceRecord): Promise<boolean>;
  /** Marks a claimed device registered, with its thing's ARN. */
  completeRegistration(deviceId: string, ownerId: string, thingArn: string): Promise<void>;
  get(deviceId: string): Promise<DeviceRecord | undefined>;
  /** The owner's devices by device id, after `startAfter`. */
  listByOwner(
    ownerId: string,
    limit: number,
    startAfter?: string,
  ): Promise<{ items: DeviceRecord[]; lastDeviceId?: string }>;
  /** Removes the device if it still belongs to `ownerId`. */
  remove(deviceId: string, ownerId: string): Promise<void>;
  /** Applies a lifecycle event unless a later one was applied; false when the device is not registered or the event is stale. */
  recordPresence(event: DevicePresenceEvent): Promise<boolean>;
  /** Moves `lastSeenAt` forward to `at`, for a registered device. */
  touch(deviceId: string, at: number): Promise<void>;
}

/** The AWS IoT registry. */
export interface ThingRegistry {
  /**
   * Creates the thing; if it exists already with the same type and attributes, answers it as it is (as CreateThing
   * does). `ThingConflictError` if it exists with others.
   */
  createThing(deviceId: string, thingTypeName: string, attributes: DeviceAttributes): Promise<{ thingArn: string }>;
  /** Detaches the thing's principals, deletes it and retires its certificates; nothing if there is no such thing. */
  deleteThing(deviceId: string): Promise<void>;
}

/** A device's certificate and key pair from AWS IoT. */
export interface DeviceCredentials {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  privateKey: string;
  publicKey?: string;
}

/** Where devices connect: MQTT over TLS. */
export interface MqttEndpoint {
  host: string;
  port: number;
}

/** Device identities in AWS IoT. */
export interface CredentialsIssuer {
  /** An ACTIVE certificate and its key pair, with the device policy attached to it and it attached to the thing. */
  issue(deviceId: string): Promise<DeviceCredentials>;
  /** The data endpoint devices connect to. */
  endpoint(): Promise<MqttEndpoint>;
}

/** The classic shadow of a device as GetThingShadow returns it. */
export interface ShadowDocument {
  state: { desired?: ShadowState; reported?: ShadowState; delta?: ShadowState };
  metadata: { desired?: ShadowState; reported?: ShadowState };
  version: number;
  /** Milliseconds. */
  timestamp: number;
}

/** Reading and deleting the device's shadow. */
export interface ShadowReader {
  /** Undefined when the device has no shadow. */
  getShadow(deviceId: string): Promise<ShadowDocument | undefined>;
  /** Nothing if there is no shadow. */
  deleteShadow(deviceId: string): Promise<void>;
}

export interface Caller {
  userId: string;
}

export { DeviceNotFoundError, DeviceNotOwnedError } from '@iot/lambda-kit';

/** The device id is taken, or its thing exists with another type or other attributes. */
export class DeviceAlreadyRegisteredError extends Error {
  constructor(
    readonly deviceId: string,
    reason = 'is already registered',
  ) {
    super(`Device ${deviceId} ${reason}`);
    this.name = 'DeviceAlreadyRegisteredError';
  }
}

/** CreateThing refused: a thing of that name exists with another type or other attributes. */
export class ThingConflictError extends Error {
  constructor(readonly deviceId: string) {
    super(`A thing named ${deviceId} exists with another type or other attributes`);
    this.name = 'ThingConflictError';
  }
}

/**
 * The registered device `deviceId` if it belongs to the caller: 404 if there is none (or the caller's registration is
 * still under way), 403 if it is someone else's; the same rule as every other device route (`@iot/lambda-kit`).
 */
export async function ownedDevice(store: DeviceStore, caller: Caller, deviceId: string): Promise<DeviceRecord> {
  const record = await store.get(deviceId);
  assertDeviceOwner(deviceId, record && { ownerId: record.ownerId, registered: record.thingArn !== undefined }, caller);
  return record as DeviceRecord;
}

/** A device as the API shows it. */
export function deviceView(record: DeviceRecord, shadowVersion: number | undefined): Device {
  const { connectivity } = record;
  return {
    deviceId: record.deviceId,
    type: record.type,
    attributes: record.attributes,
    thingArn: record.thingArn ?? '',
    registeredAt: record.registeredAt,
    connectivity: connectivity
      ? {
          state: connectivity.state,
          since: connectivity.since,
          ...(connectivity.disconnectReason ? { disconnectReason: connectivity.disconnectReason } : {}),
        }
      : { state: 'unknown' },
    ...(record.lastSeenAt === undefined ? {} : { lastSeenAt: record.lastSeenAt }),
    ...(shadowVersion === undefined ? {} : { shadowVersion }),
  };
}

export interface RegistrationDependencies {
  devices: DeviceStore;
  things: ThingRegistry;
  credentials: CredentialsIssuer;
  /** The thing type of a device type. */
  thingTypeName: (type: DeviceType) => string;
}

/**
 * Registers a device to the caller: the devices table is claimed first, so two users racing for one device id cannot
 * both get it; then the thing is created, and a certificate with the device policy is attached to it. If that fails,
 * the thing goes and the claim is withdrawn. A registration the caller began before and that did not finish (a crash
 * between the steps) is finished by a retry. The private key is in the answer only: nothing keeps it.
 */
export async function registerDevice(
  deps: RegistrationDependencies,
  caller: Caller,
  request: RegisterDeviceRequest,
  now: number,
): Promise<RegisteredDevice> {
  const record: DeviceRecord = {
    deviceId: request.deviceId,
    ownerId: caller.userId,
    type: request.type,
    attributes: request.attributes ?? {},
    registeredAt: now,
  };
  let registering = record;
  if (!(await deps.devices.claim(record))) {
    const existing = await deps.devices.get(request.deviceId);
    const unfinishedOwn =
      existing !== undefined &&
      existing.thingArn === undefined &&
      existing.ownerId === caller.userId &&
      existing.type === record.type &&
      sameAttributes(existing.attributes, record.attributes);
    if (!unfinishedOwn) throw new DeviceAlreadyRegisteredError(request.deviceId);
    registering = existing;
  }

  let thingArn: string;
  try {
    ({ thingArn } = await deps.things.createThing(
      registering.deviceId,
      deps.thingTypeName(registering.type),
      registering.attributes,
    ));
  } catch (error) {
    await deps.devices.remove(registering.deviceId, caller.userId);
    if (error instanceof ThingConflictError) {
      throw new DeviceAlreadyRegisteredError(
        request.deviceId,
        'exists in the AWS IoT registry with another type or attributes',
      );
    }
    throw error;
  }
  let credentials: DeviceCredentials;
  let endpoint: MqttEndpoint;
  try {
    [credentials, endpoint] = await Promise.all([
      deps.credentials.issue(registering.deviceId),
      deps.credentials.endpoint(),
    ]);
  } catch (error) {
    await deps.things.deleteThing(registering.deviceId);
    await deps.devices.remove(registering.deviceId, caller.userId);
    throw error;
  }
  await deps.devices.completeRegistration(registering.deviceId, caller.userId, thingArn);
  return {
    ...deviceView({ ...registering, thingArn }, undefined),
    certificate: credentials,
    mqtt: { ...endpoint, clientId: registering.deviceId },
  };
}

function sameAttributes(a: DeviceAttributes, b: DeviceAttributes): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** The shadow version of each device, read side by side; a device without a shadow has none. */
async function shadowVersions(shadows: ShadowReader, deviceIds: string[]): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  await Promise.all(
    deviceIds.map(async (deviceId) => {
      const shadow = await shadows.getShadow(deviceId);
      if (shadow) versions.set(deviceId, shadow.version);
    }),
  );
  return versions;
}

/** A page of the caller's registered devices, with their shadow versions. */
export async function listDevices(
  deps: { devices: DeviceStore; shadows: ShadowReader },
  caller: Caller,
  page: { limit: number; startAfter?: string },
): Promise<{ items: Device[]; lastDeviceId?: string }> {
  const { items, lastDeviceId } = await deps.devices.listByOwner(caller.userId, page.limit, page.startAfter);
  const registered = items.filter((record) => record.thingArn !== undefined);
  const versions = await shadowVersions(
    deps.shadows,
    registered.map((record) => record.deviceId),
  );
  return {
    items: registered.map((record) => deviceView(record, versions.get(record.deviceId))),
    ...(lastDeviceId ? { lastDeviceId } : {}),
  };
}

/** One of the caller's devices, with its shadow version. */
export async function describeDevice(
  deps: { devices: DeviceStore; shadows: ShadowReader },
  caller: Caller,
  deviceId: string,
): Promise<Device> {
  const record = await ownedDevice(deps.devices, caller, deviceId);
  const shadow = await deps.shadows.getShadow(deviceId);
  return deviceView(record, shadow?.version);
}

/**
 * Deregisters one of the caller's devices: its thing (principals detached first) and its shadow go, so that whoever
 * registers the id next starts from nothing; the ownership goes last, so a failure part way can be retried.
 */
export async function deregisterDevice(
  deps: { devices: DeviceStore; things: ThingRegistry; shadows: ShadowReader },
  caller: Caller,
  deviceId: string,
): Promise<void> {
  await ownedDevice(deps.devices, caller, deviceId);
  await deps.things.deleteThing(deviceId);
  await deps.shadows.deleteShadow(deviceId);
  await deps.devices.remove(deviceId, caller.userId);
}

/** Records a connection or disconnection of a device; false when it is not a registered device or the event is old. */
export function recordPresence(devices: DeviceStore, event: DevicePresenceEvent): Promise<boolean> {
  return devices.recordPresence(event);
}
