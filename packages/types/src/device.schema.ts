import * as z from 'zod';
import { DeviceIdSchema, EpochMillisSchema } from './common.schema';

/**
 * The kinds of device the product knows. Each is an AWS IoT thing type (declared by iot-device-config-api), which
 * lets a thing carry up to 50 attributes instead of 3.
 */
export const DeviceTypeSchema = z.enum(['sensor', 'gateway', 'actuator']);
export type DeviceType = z.infer<typeof DeviceTypeSchema>;

/** An AWS IoT thing attribute name: 1 to 128 of letters, digits and `_ . , @ / : # -`. */
export const THING_ATTRIBUTE_NAME_PATTERN = /^[a-zA-Z0-9_.,@/:#-]{1,128}$/;
/** An AWS IoT thing attribute value: up to 800 of letters, digits and `_ . , @ / : # = [ ] -`. */
export const THING_ATTRIBUTE_VALUE_PATTERN = /^[a-zA-Z0-9_.,@/:#=[\]-]{0,800}$/;
/** AWS IoT allows 50 attributes on a thing that has a thing type. */
export const MAX_DEVICE_ATTRIBUTES = 50;

/** Searchable name-value pairs of a device, kept as the attributes of its AWS IoT thing. */
export const DeviceAttributesSchema = z
  .record(
    z.string().regex(THING_ATTRIBUTE_NAME_PATTERN, 'must be 1 to 128 letters, digits or _ . , @ / : # -'),
    z.string().regex(THING_ATTRIBUTE_VALUE_PATTERN, 'must be at most 800 letters, digits or _ . , @ / : # = [ ] -'),
  )
  .refine((attributes) => Object.keys(attributes).length <= MAX_DEVICE_ATTRIBUTES, {
    message: `must hold at most ${MAX_DEVICE_ATTRIBUTES} attributes`,
  });
export type DeviceAttributes = z.infer<typeof DeviceAttributesSchema>;

/** `POST /devices`: registers a device to the caller and creates its AWS IoT thing. */
export const RegisterDeviceRequestSchema = z
  .object({
    /** The device id, which becomes its AWS IoT thing name (and its MQTT client id). */
    deviceId: DeviceIdSchema,
    type: DeviceTypeSchema,
    attributes: DeviceAttributesSchema.optional(),
  })
  .strict();
export type RegisterDeviceRequest = z.infer<typeof RegisterDeviceRequestSchema>;

/** Whether the device holds an MQTT connection, from the AWS IoT lifecycle events. */
export const ConnectivityStateSchema = z.enum(['connected', 'disconnected', 'unknown']);
export type ConnectivityState = z.infer<typeof ConnectivityStateSchema>;

export const DeviceConnectivitySchema = z.object({
  /** `unknown` until the device first connects after it was registered. */
  state: ConnectivityStateSchema,
  /** When the device connected or disconnected (the lifecycle event's time). */
  since: EpochMillisSchema.optional(),
  /** AWS IoT's reason for the last disconnection, e.g. `CLIENT_INITIATED_DISCONNECT` or `MQTT_KEEP_ALIVE_TIMEOUT`. */
  disconnectReason: z.string().optional(),
});
export type DeviceConnectivity = z.infer<typeof DeviceConnectivitySchema>;

/** A registered device, as `GET /devices` and `GET /devices/{deviceId}` show it. */
export const DeviceSchema = z.object({
  deviceId: DeviceIdSchema,
  type: DeviceTypeSchema,
  attributes: DeviceAttributesSchema,
  /** The ARN of the device's AWS IoT thing. */
  thingArn: z.string(),
  registeredAt: EpochMillisSchema,
  connectivity: DeviceConnectivitySchema,
  /** The last time the device was heard from: a connection, a disconnection or a command result. */
  lastSeenAt: EpochMillisSchema.optional(),
  /** The version of the device's shadow; absent while the device has no shadow. */
  shadowVersion: z.number().int().nonnegative().optional(),
});
export type Device = z.infer<typeof DeviceSchema>;

/**
 * The device's X.509 certificate from AWS IoT, and its key pair. The private key is in the first answer of
 * `POST /devices` only: it is not kept anywhere, so an answer replayed for the same `Idempotency-Key` lacks it.
 */
export const DeviceCertificateSchema = z.object({
  /** The AWS IoT certificate id (the SHA-256 of the certificate, in hex). */
  certificateId: z.string(),
  certificateArn: z.string(),
  /** PEM; the MQTT client's `cert`. */
  certificatePem: z.string(),
  /** PEM (PKCS#8); the MQTT client's `key`. Only in the first answer. */
  privateKey: z.string().optional(),
  /** PEM (SPKI). */
  publicKey: z.string().optional(),
});
export type DeviceCertificate = z.infer<typeof DeviceCertificateSchema>;

/** Where the device connects: MQTT over TLS with its certificate, its device id as the client id. */
export const MqttConnectionSchema = z.object({
  /** The AWS IoT data endpoint (DescribeEndpoint `iot:Data-ATS`): the TLS server name. */
  host: z.string(),
  /** 8883 in AWS. */
  port: z.number().int().min(1).max(65_535),
  /** The client id the device policy allows: the device id. */
  clientId: z.string(),
});
export type MqttConnection = z.infer<typeof MqttConnectionSchema>;

/** `POST /devices`: the registered device, with its certificate (and, once, its private key) and where to connect. */
export const RegisteredDeviceSchema = DeviceSchema.extend({
  certificate: DeviceCertificateSchema,
  mqtt: MqttConnectionSchema,
});
export type RegisteredDevice = z.infer<typeof RegisteredDeviceSchema>;

/** Query of `GET /devices`. */
export const ListDevicesQuerySchema = z
  .object({
    /** At most this many devices (1 to 100, default 25). */
    limit: z.coerce.number().int().min(1).max(100).optional(),
    /** The `nextToken` of the previous page. */
    nextToken: z.string().min(1).max(2048).optional(),
  })
  .strict();
export type ListDevicesQuery = z.infer<typeof ListDevicesQuerySchema>;

/** A page of the caller's devices, by device id. */
export const DevicesPageSchema = z.object({
  items: z.array(DeviceSchema),
  /** Pass as `nextToken` to get the next page; absent on the last page. */
  nextToken: z.string().optional(),
});
export type DevicesPage = z.infer<typeof DevicesPageSchema>;

/** One section of a shadow document (desired, reported or delta): whatever JSON object the device and app keep. */
export const ShadowStateSchema = z.record(z.string(), z.unknown());
export type ShadowState = z.infer<typeof ShadowStateSchema>;

/** `GET /devices/{deviceId}/config`: the device's configuration as its shadow holds it. */
export const DeviceConfigViewSchema = z.object({
  deviceId: DeviceIdSchema,
  /** The shadow's version (send it as `If-Match` with a change); absent while the device has no shadow. */
  version: z.number().int().nonnegative().optional(),
  /** What the app asked for. */
  desired: ShadowStateSchema,
  /** What the device last said it applies. */
  reported: ShadowStateSchema,
  /** What is desired but not yet reported: the change still on its way to the device. Empty when in step. */
  delta: ShadowStateSchema,
  /** When a desired value last changed. */
  desiredUpdatedAt: EpochMillisSchema.optional(),
  /** When the device last reported a value. */
  reportedUpdatedAt: EpochMillisSchema.optional(),
});
export type DeviceConfigView = z.infer<typeof DeviceConfigViewSchema>;

/**
 * What the device presence rule delivers: the fields of an AWS IoT lifecycle event
 * (`$aws/events/presence/{connected|disconnected}/{clientId}`). The client id of a device is its thing name.
 */
export const DevicePresenceEventSchema = z.object({
  clientId: z.string().min(1),
  eventType: z.enum(['connected', 'disconnected']),
  /** When AWS IoT saw the connection change, in milliseconds. */
  timestamp: z.number().int().nonnegative(),
  /** Increases with each connection of the same client id; orders events of equal timestamps. */
  versionNumber: z.number().int().nonnegative().optional(),
  disconnectReason: z.string().optional(),
});
export type DevicePresenceEvent = z.infer<typeof DevicePresenceEventSchema>;
