import type { Device } from '@iot/types';
import type { ApiClient } from '../api';
import { lastSeen } from '../format';
import { usePoll } from '../poll';
import { AlarmFeed } from './alarms';
import { CommandsPanel } from './commands';
import { ConfigPanel } from './config';
import { Connectivity, Freshness } from './status';
import { TelemetryPanel } from './telemetry';
import { ThresholdsPanel } from './thresholds';

export function DeviceView({ api, deviceId, pollMs }: { api: ApiClient; deviceId: string; pollMs: number }) {
  const state = usePoll(
    async () => {
      const [device, alarms] = await Promise.all([api.device(deviceId), api.deviceAlarms(deviceId)]);
      return { device, alarms };
    },
    pollMs,
    `device:${deviceId}`,
  );
  const device: Device | undefined = state.data?.device;
  const active = (state.data?.alarms ?? []).filter((alarm) => alarm.state === 'ALARM');

  return (
    <>
      <p class="breadcrumb">
        <a href="#/">Fleet</a> / {deviceId}
      </p>
      <h1 tabIndex={-1}>{deviceId}</h1>
      <Freshness updatedAt={state.updatedAt} error={state.error} />
      {device ? (
        <dl class="facts">
          <div>
            <dt>State</dt>
            <dd>
              <Connectivity device={device} />
            </dd>
          </div>
          <div>
            <dt>Type</dt>
            <dd>{device.type}</dd>
          </div>
          <div>
            <dt>Last seen</dt>
            <dd>{lastSeen(device)}</dd>
          </div>
          <div>
            <dt>Shadow version</dt>
            <dd>{device.shadowVersion ?? '–'}</dd>
          </div>
        </dl>
      ) : null}
      <div class="device-grid">
        <section aria-labelledby="telemetry-heading" class="span-2">
          <h2 id="telemetry-heading">Telemetry</h2>
          <TelemetryPanel api={api} deviceId={deviceId} pollMs={pollMs} />
        </section>
        <section aria-labelledby="device-alarms-heading">
          <h2 id="device-alarms-heading">Active alarms</h2>
          <AlarmFeed api={api} alarms={active} loaded={state.data !== undefined} onChange={state.refresh} />
        </section>
        <section aria-labelledby="thresholds-heading">
          <h2 id="thresholds-heading">Thresholds</h2>
          <ThresholdsPanel api={api} deviceId={deviceId} />
        </section>
        <section aria-labelledby="config-heading" class="span-2">
          <h2 id="config-heading">Configuration</h2>
          <ConfigPanel api={api} deviceId={deviceId} pollMs={pollMs} />
        </section>
        <section aria-labelledby="commands-heading">
          <h2 id="commands-heading">Commands</h2>
          <CommandsPanel api={api} deviceId={deviceId} pollMs={pollMs} />
        </section>
      </div>
    </>
  );
}
