import { localDashboard } from '../dashboard';
import { defaultExtensions } from '../default-extensions';
import type { LocalCloudExtension } from '../local-cloud';

/**
 * The parts `iot-local start` runs besides the emulated AWS services (the local IoT Core, Cognito user pools,
 * EventBridge schedules): each takes what the templates declare for it and serves its APIs on the edge endpoint. With
 * `dashboardDist`, the dashboard's build is served too, at `/dashboard/` on the edge endpoint.
 */
export function localCloudExtensions(options: { dashboardDist?: string } = {}): LocalCloudExtension[] {
  return [
    ...defaultExtensions(),
    ...(options.dashboardDist ? [localDashboard({ distDir: options.dashboardDist })] : []),
  ];
}
