import type { Alarm, Device } from '@iot/types';
import type { ApiClient } from '../api';
import { deviceHref, lastSeen, SEVERITIES } from '../format';
import { usePoll } from '../poll';
import { AlarmFeed } from './alarms';
import { Connectivity, Freshness } from './status';

export function FleetView({ api, pollMs }: { api: ApiClient; pollMs: number }) {
  const fleet = usePoll(
    async () => {
      const [devices, alarms] = await Promise.all([api.devices(), api.activeAlarms()]);
      return { devices, alarms };
    },
    pollMs,
    'fleet',
  );
  const devices = fleet.data?.devices ?? [];
  const alarms = fleet.data?.alarms ?? [];
  const online = devices.filter((device) => device.connectivity.state === 'connected').length;
  const mine = new Set(devices.map((device) => device.deviceId));
  const myAlarms = alarms.filter((alarm) => mine.has(alarm.deviceId));

  return (
    <>
      <h1 tabIndex={-1}>Fleet</h1>
      <Freshness updatedAt={fleet.updatedAt} error={fleet.error} />
      <section aria-labelledby="summary-heading">
        <h2 id="summary-heading" class="visually-hidden">
          Summary
        </h2>
        <dl class="tiles">
          <div class="tile">
            <dt>Devices</dt>
            <dd data-testid="device-count">{fleet.data ? devices.length : '–'}</dd>
          </div>
          <div class="tile">
            <dt>Online</dt>
            <dd>{fleet.data ? online : '–'}</dd>
          </div>
          {SEVERITIES.map((severity) => (
            <div class={`tile severity-${severity}`} key={severity}>
              <dt>Active {severity}</dt>
              <dd>{fleet.data ? myAlarms.filter((alarm) => alarm.severity === severity).length : '–'}</dd>
            </div>
          ))}
        </dl>
      </section>
      <section aria-labelledby="devices-heading">
        <h2 id="devices-heading">Devices</h2>
        <DeviceTable devices={devices} alarms={myAlarms} loaded={fleet.data !== undefined} />
      </section>
      <section aria-labelledby="feed-heading">
        <h2 id="feed-heading">Active alarms</h2>
        <AlarmFeed api={api} alarms={myAlarms} loaded={fleet.data !== undefined} onChange={fleet.refresh} />
      </section>
    </>
  );
}

function DeviceTable({ devices, alarms, loaded }: { devices: Device[]; alarms: Alarm[]; loaded: boolean }) {
  if (!loaded) return <p>Loading devices…</p>;
  if (devices.length === 0) {
    return (
      <p>
        No devices yet. Register one with <code>POST /devices</code>, or run the simulator (<code>pnpm simulate</code>).
      </p>
    );
  }
  return (
    <div class="table-wrap">
      <table class="devices">
        <caption class="visually-hidden">Devices, their connection and active alarms</caption>
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Type</th>
            <th scope="col">State</th>
            <th scope="col">Last seen</th>
            <th scope="col">Active alarms</th>
          </tr>
        </thead>
        <tbody>
          {devices.map((device) => {
            const count = alarms.filter((alarm) => alarm.deviceId === device.deviceId).length;
            return (
              <tr key={device.deviceId}>
                <th scope="row">
                  <a href={deviceHref(device.deviceId)}>{device.deviceId}</a>
                </th>
                <td>{device.type}</td>
                <td>
                  <Connectivity device={device} />
                </td>
                <td>{lastSeen(device)}</td>
                <td>{count > 0 ? <strong class="alarm-count">{count}</strong> : 0}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
