/**
 * MQTT topic names of the product and builders for them.
 *
 * Devices publish on `devices/{deviceId}/...`; the AWS IoT reserved topics (`$aws/things/...` for shadows,
 * `$aws/rules/...` for Basic Ingest) follow the AWS IoT Core developer guide.
 */

/** A device id is an AWS IoT thing name: 1 to 128 letters, digits, colons, underscores or hyphens. */
export const DEVICE_ID_PATTERN = /^[a-zA-Z0-9:_-]{1,128}$/;

/** A shadow name follows the same alphabet as a thing name, at most 64 characters. */
export const SHADOW_NAME_PATTERN = /^[a-zA-Z0-9:_-]{1,64}$/;

/** An IoT topic rule name: letters, digits and underscores, at most 128 characters. */
export const RULE_NAME_PATTERN = /^[a-zA-Z0-9_]{1,128}$/;

/** Thrown when a value cannot be one level of a topic name. */
export class InvalidTopicSegmentError extends Error {
  constructor(
    readonly what: string,
    readonly value: string,
  ) {
    super(`${what} "${value}" cannot be used in a topic: expected ${describePattern(what)}`);
    this.name = 'InvalidTopicSegmentError';
  }
}

function describePattern(what: string): string {
  switch (what) {
    case 'rule name':
      return 'letters, digits and underscores (1 to 128)';
    case 'shadow name':
      return 'letters, digits, colons, underscores or hyphens (1 to 64)';
    default:
      return 'letters, digits, colons, underscores or hyphens (1 to 128)';
  }
}

function checked(what: string, value: string, pattern: RegExp): string {
  if (!pattern.test(value)) throw new InvalidTopicSegmentError(what, value);
  return value;
}

const deviceSegment = (deviceId: string) => checked('device id', deviceId, DEVICE_ID_PATTERN);
const idSegment = (what: string, value: string) => checked(what, value, DEVICE_ID_PATTERN);

/** Topic filters that rules and backend subscribers use. */
export const topicFilters = {
  /** Telemetry from every device. */
  telemetry: 'devices/+/telemetry',
  /** Results of one-off commands from every device. */
  commandResults: 'devices/+/commands/+/result',
} as const;

/** Builders for the product's own device topics. */
export const topics = {
  /** Where a device publishes its readings. */
  telemetry: (deviceId: string) => `devices/${deviceSegment(deviceId)}/telemetry`,
  /** Where a device that does not use shadows receives its configuration. */
  config: (deviceId: string) => `devices/${deviceSegment(deviceId)}/config`,
  /** Where a device receives one-off commands. */
  commands: (deviceId: string) => `devices/${deviceSegment(deviceId)}/commands`,
  /** Where a device answers a command. */
  commandResult: (deviceId: string, commandId: string) =>
    `devices/${deviceSegment(deviceId)}/commands/${idSegment('command id', commandId)}/result`,
} as const;

/** The topics of the Device Shadow service, relative to a shadow's prefix. */
export const SHADOW_TOPIC_SUFFIXES = [
  'get',
  'get/accepted',
  'get/rejected',
  'update',
  'update/accepted',
  'update/rejected',
  'update/delta',
  'update/documents',
  'delete',
  'delete/accepted',
  'delete/rejected',
] as const;
export type ShadowTopicSuffix = (typeof SHADOW_TOPIC_SUFFIXES)[number];

/**
 * The topic of a shadow operation: `$aws/things/{thing}/shadow/{suffix}` for the classic shadow,
 * `$aws/things/{thing}/shadow/name/{shadow}/{suffix}` for a named one.
 */
export function shadowTopic(thingName: string, suffix: ShadowTopicSuffix, shadowName?: string): string {
  const prefix = `$aws/things/${idSegment('thing name', thingName)}/shadow`;
  if (shadowName === undefined) return `${prefix}/${suffix}`;
  return `${prefix}/name/${checked('shadow name', shadowName, SHADOW_NAME_PATTERN)}/${suffix}`;
}

/** What a shadow topic names. */
export interface ParsedShadowTopic {
  thingName: string;
  /** Absent for the classic (unnamed) shadow. */
  shadowName?: string;
  suffix: ShadowTopicSuffix;
}

const SHADOW_TOPIC = /^\$aws\/things\/([^/]+)\/shadow\/(?:name\/([^/]+)\/)?(.+)$/;

/** Parses a `$aws/things/...` shadow topic; `undefined` when the topic is not one. */
export function parseShadowTopic(topic: string): ParsedShadowTopic | undefined {
  const match = SHADOW_TOPIC.exec(topic);
  if (!match) return undefined;
  const [, thingName, shadowName, suffix] = match;
  if (!thingName || !DEVICE_ID_PATTERN.test(thingName)) return undefined;
  if (shadowName !== undefined && !SHADOW_NAME_PATTERN.test(shadowName)) return undefined;
  if (!(SHADOW_TOPIC_SUFFIXES as readonly string[]).includes(suffix ?? '')) return undefined;
  return {
    thingName,
    ...(shadowName === undefined ? {} : { shadowName }),
    suffix: suffix as ShadowTopicSuffix,
  };
}

/** The Basic Ingest prefix: a publish on `$aws/rules/{rule}/...` reaches only that rule, with no broker cost. */
export const BASIC_INGEST_PREFIX = '$aws/rules/';

/** The Basic Ingest form of a topic for one rule: `$aws/rules/{ruleName}/{topic}`. */
export function basicIngestTopic(ruleName: string, topic: string): string {
  return `${BASIC_INGEST_PREFIX}${checked('rule name', ruleName, RULE_NAME_PATTERN)}/${topic}`;
}

/** Splits a Basic Ingest topic into its rule and the topic the rule sees; `undefined` for any other topic. */
export function parseBasicIngestTopic(topic: string): { ruleName: string; topic: string } | undefined {
  if (!topic.startsWith(BASIC_INGEST_PREFIX)) return undefined;
  const rest = topic.slice(BASIC_INGEST_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  const ruleName = rest.slice(0, slash);
  if (!RULE_NAME_PATTERN.test(ruleName)) return undefined;
  return { ruleName, topic: rest.slice(slash + 1) };
}

/** The device id of a `devices/{deviceId}/...` topic; `undefined` for any other topic. */
export function deviceIdOfTopic(topic: string): string | undefined {
  const [root, deviceId] = topic.split('/');
  if (root !== 'devices' || deviceId === undefined || !DEVICE_ID_PATTERN.test(deviceId)) return undefined;
  return deviceId;
}
