/**
 * What the AWS IoT Core message broker accepts: the protocol quotas (payload, topic length and depth, client id) and
 * the reserved `$` topics, each with the operations clients may use on it (developer guide, "Reserved topics" and
 * "AWS IoT Core message broker and protocol limits and quotas").
 */

/** 128 KB: a larger PUBLISH ends the connection (CLIENT_ERROR, PAYLOAD_LIMIT_EXCEEDED). */
export const MAX_PAYLOAD_BYTES = 128 * 1024;
/** UTF-8 bytes of a topic or topic filter, not counting a Basic Ingest prefix. */
export const MAX_TOPIC_BYTES = 256;
/** Forward slashes in a topic or topic filter (8 levels), not counting a Basic Ingest prefix. */
export const MAX_TOPIC_SLASHES = 7;
export const MAX_CLIENT_ID_BYTES = 128;
/** Topic filters in one SUBSCRIBE packet. */
export const MAX_SUBSCRIPTIONS_PER_SUBSCRIBE = 8;

export type Operation = 'publish' | 'subscribe';

/** A refusal: what was wrong, in the terms AWS logs it. */
export interface PolicyViolation {
  /** AWS's name for the error, e.g. PAYLOAD_LIMIT_EXCEEDED. */
  code: string;
  message: string;
}

type Access = { publish: boolean; subscribe: boolean };
const PUBLISH: Access = { publish: true, subscribe: false };
const SUBSCRIBE: Access = { publish: false, subscribe: true };
const BOTH: Access = { publish: true, subscribe: true };

/**
 * Reserved topics as level patterns: `*` is one level of any value, `a|b` one of the values, `**` one or more levels.
 */
const RESERVED: { pattern: string[]; access: Access }[] = [];
function reserve(pattern: string, access: Access): void {
  RESERVED.push({ pattern: pattern.split('/'), access });
}

for (const prefix of ['$aws/things/*/shadow', '$aws/things/*/shadow/name/*']) {
  reserve(`${prefix}/get|update|delete`, BOTH);
  reserve(`${prefix}/get|update|delete/accepted|rejected`, SUBSCRIBE);
  reserve(`${prefix}/update/delta|documents`, SUBSCRIBE);
}
reserve('$aws/events/**', SUBSCRIBE);
reserve('$aws/rules/*/**', PUBLISH);
reserve('$aws/things/*/jobs/get|start-next', PUBLISH);
reserve('$aws/things/*/jobs/get|start-next/accepted|rejected', SUBSCRIBE);
reserve('$aws/things/*/jobs/*/get|update', PUBLISH);
reserve('$aws/things/*/jobs/*/get|update/accepted|rejected', SUBSCRIBE);
reserve('$aws/things/*/jobs/notify|notify-next', SUBSCRIBE);
reserve('$aws/things/*/defender/metrics/json|cbor', PUBLISH);
reserve('$aws/things/*/defender/metrics/json|cbor/accepted|rejected', SUBSCRIBE);
reserve('$aws/things/*/tunnels/notify', SUBSCRIBE);
reserve('$aws/things/*/streams/*/get|describe/json|cbor', PUBLISH);
reserve('$aws/things/*/streams/*/data|description|rejected/json|cbor', SUBSCRIBE);
reserve('$aws/sitewise/asset-models/*/assets/*/properties/*', SUBSCRIBE);
reserve('$aws/certificates/create|create-from-csr/json|cbor', PUBLISH);
reserve('$aws/certificates/create|create-from-csr/json|cbor/accepted|rejected', SUBSCRIBE);
reserve('$aws/provisioning-templates/*/provision/json|cbor', PUBLISH);
reserve('$aws/provisioning-templates/*/provision/json|cbor/accepted|rejected', SUBSCRIBE);

const BASIC_INGEST = /^\$aws\/rules\/([^/]+)\//;

/** The topic without its Basic Ingest prefix (`$aws/rules/<rule>/`), which the quotas do not count. */
export function withoutBasicIngestPrefix(topic: string): string {
  const match = BASIC_INGEST.exec(topic);
  return match ? topic.slice(match[0].length) : topic;
}

function segmentMatches(pattern: string, level: string): boolean {
  if (pattern === '*') return level.length > 0;
  return pattern.split('|').includes(level);
}

/** Whether a concrete topic is one of the pattern's topics. */
function topicMatches(pattern: string[], levels: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    if (p === '**') return levels.length > i;
    const level = levels[i];
    if (level === undefined || !segmentMatches(p, level)) return false;
  }
  return levels.length === pattern.length;
}

/** Whether a topic filter (with `+` and `#`) can match at least one of the pattern's topics. */
function filterOverlaps(pattern: string[], levels: string[]): boolean {
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level === '#') return true;
    const p = pattern[i];
    if (p === undefined) return false;
    if (p === '**') return true;
    if (level !== '+' && !segmentMatches(p, level)) return false;
  }
  return levels.length === pattern.length;
}

function checkSize(topic: string, what: string): PolicyViolation | undefined {
  const counted = withoutBasicIngestPrefix(topic);
  if (Buffer.byteLength(counted, 'utf8') > MAX_TOPIC_BYTES) {
    return { code: 'TOPIC_LIMIT_EXCEEDED', message: `The ${what} is longer than ${MAX_TOPIC_BYTES} bytes: ${topic}` };
  }
  let slashes = 0;
  for (let i = 0; i < counted.length; i++) if (counted.charCodeAt(i) === 47) slashes++;
  if (slashes > MAX_TOPIC_SLASHES) {
    return {
      code: 'TOPIC_LIMIT_EXCEEDED',
      message: `The ${what} has ${slashes} forward slashes; AWS IoT allows at most ${MAX_TOPIC_SLASHES}: ${topic}`,
    };
  }
  return undefined;
}

/**
 * Checks a PUBLISH from a device: topic quotas, and reserved topics only where devices may publish (never with
 * RETAIN). Returns the violation, or undefined when AWS would accept it.
 */
export function checkDevicePublish(topic: string, retain: boolean): PolicyViolation | undefined {
  const size = checkSize(topic, 'topic');
  if (size) return size;
  if (topic.charCodeAt(0) !== 36) return undefined;
  if (retain) {
    return { code: 'RESERVED_TOPIC', message: `A message cannot be retained on a reserved topic: ${topic}` };
  }
  const levels = topic.split('/');
  const allowed = RESERVED.some((r) => r.access.publish && topicMatches(r.pattern, levels));
  return allowed
    ? undefined
    : { code: 'RESERVED_TOPIC', message: `Clients cannot publish to the reserved topic ${topic}` };
}

/**
 * Checks a topic filter a device subscribes to: quotas, and reserved topics only where subscribing is allowed (a
 * wildcard filter must be able to match such a topic). Basic Ingest topics can never be subscribed to.
 */
export function checkDeviceSubscribe(filter: string): PolicyViolation | undefined {
  const size = checkSize(filter, 'topic filter');
  if (size) return size;
  if (filter.charCodeAt(0) !== 36) return undefined;
  const levels = filter.split('/');
  if (levels[0] === '$aws' && levels[1] !== undefined && levels[1] !== 'rules' && !/[+#]/.test(levels[1])) {
    if (RESERVED.some((r) => r.access.subscribe && filterOverlaps(r.pattern, levels))) return undefined;
  }
  return { code: 'RESERVED_TOPIC', message: `Clients cannot subscribe to the reserved topic filter ${filter}` };
}

/**
 * Checks a publish by a trusted service (the data plane, the Device Shadow service, rule republish): any reserved
 * topic is allowed, but the quotas apply and reserved topics are never retained.
 */
export function checkServicePublish(topic: string, payloadBytes: number, retain: boolean): PolicyViolation | undefined {
  if (topic.length === 0 || /[+#]/.test(topic)) {
    return { code: 'INVALID_TOPIC', message: `Not a topic name: '${topic}'` };
  }
  const payload = checkPayloadSize(payloadBytes);
  if (payload) return payload;
  const size = checkSize(topic, 'topic');
  if (size) return size;
  if (retain && topic.charCodeAt(0) === 36) {
    return { code: 'RESERVED_TOPIC', message: `A message cannot be retained on a reserved topic: ${topic}` };
  }
  return undefined;
}

export function checkPayloadSize(bytes: number): PolicyViolation | undefined {
  return bytes > MAX_PAYLOAD_BYTES
    ? {
        code: 'PAYLOAD_LIMIT_EXCEEDED',
        message: `Message payload exceeds size limit for message type: ${bytes} bytes, at most ${MAX_PAYLOAD_BYTES}`,
      }
    : undefined;
}

export function checkClientId(clientId: string): PolicyViolation | undefined {
  return Buffer.byteLength(clientId, 'utf8') > MAX_CLIENT_ID_BYTES
    ? { code: 'CLIENT_ID_LIMIT_EXCEEDED', message: `The client id is longer than ${MAX_CLIENT_ID_BYTES} bytes` }
    : undefined;
}
