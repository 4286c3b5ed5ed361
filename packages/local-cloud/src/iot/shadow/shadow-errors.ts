/** The HTTP codes the Device Shadow service answers with ("Device Shadow error messages"). */
export type ShadowErrorCode = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500;

/**
 * A request the Device Shadow service refuses. Over MQTT it becomes the error response document published on the
 * operation's `/rejected` topic; over HTTPS, the status and body of the data plane's answer.
 */
export class ShadowRequestError extends Error {
  constructor(
    readonly code: ShadowErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ShadowRequestError';
  }
}

/** The messages of the developer guide's "Device Shadow error messages" table, as the service words them. */
export const shadowErrors = {
  invalidJson: () => new ShadowRequestError(400, 'Invalid JSON'),
  missingState: () => new ShadowRequestError(400, 'Missing required node: state'),
  stateNotObject: () => new ShadowRequestError(400, 'State node must be an object'),
  desiredNotObject: () => new ShadowRequestError(400, 'Desired node must be an object'),
  reportedNotObject: () => new ShadowRequestError(400, 'Reported node must be an object'),
  invalidVersion: () => new ShadowRequestError(400, 'Invalid version'),
  invalidClientToken: () => new ShadowRequestError(400, 'Invalid clientToken'),
  tooDeep: (maximum: number) =>
    new ShadowRequestError(400, `JSON contains too many levels of nesting; maximum is ${maximum}`),
  invalidStateNode: () => new ShadowRequestError(400, 'State contains an invalid node'),
  unauthorized: () => new ShadowRequestError(401, 'Unauthorized'),
  forbidden: () => new ShadowRequestError(403, 'Forbidden'),
  /** The classic shadow is named after its thing, as AWS words it: `No shadow exists with name: 'thing'`. */
  noShadow: (name: string) => new ShadowRequestError(404, `No shadow exists with name: '${name}'`),
  versionConflict: () => new ShadowRequestError(409, 'Version conflict'),
  payloadTooLarge: () => new ShadowRequestError(413, 'The payload exceeds the maximum size allowed'),
  unsupportedEncoding: () =>
    new ShadowRequestError(415, 'Unsupported documented encoding; supported encoding is UTF-8'),
  internalFailure: () => new ShadowRequestError(500, 'Internal service failure'),
} as const;
