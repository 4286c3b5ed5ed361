import { HttpProblem } from '@iot/lambda-kit';
import { DEVICE_ID_PATTERN } from '@iot/types';

/** The opaque `nextToken` of a page of devices: where the next page starts. */
export function encodeDevicesToken(lastDeviceId: string): string {
  return Buffer.from(JSON.stringify({ after: lastDeviceId })).toString('base64url');
}

/** The device id a `nextToken` continues after; a 400 for anything this API did not return. */
export function decodeDevicesToken(token: string): string {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof value.after === 'string' && DEVICE_ID_PATTERN.test(value.after)) return value.after;
  } catch {
    // answered below
  }
  throw new HttpProblem(400, 'Bad Request', 'query.nextToken: not a token this API returned', [
    { path: 'query.nextToken', message: 'not a token this API returned' },
  ]);
}
