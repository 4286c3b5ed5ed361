import { defaultExtensions } from '../default-extensions';
import type { LocalCloudExtension } from '../local-cloud';

/**
 * The parts `iot-local start` runs besides the emulated AWS services (the local IoT Core, Cognito user pools,
 * EventBridge schedules): each takes what the templates declare for it and serves its APIs on the edge endpoint.
 */
export function localCloudExtensions(): LocalCloudExtension[] {
  return defaultExtensions();
}
