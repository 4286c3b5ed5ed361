import type { DeviceConfigView, PutDeviceConfigRequest } from '@iot/types';
import { useState } from 'preact/hooks';
import type { ApiClient } from '../api';
import { ago } from '../format';
import { usePoll } from '../poll';

const CHANNELS = ['stable', 'beta', 'canary'] as const;

function StateBlock({ title, state, id }: { title: string; state: Record<string, unknown>; id: string }) {
  const empty = Object.keys(state).length === 0;
  return (
    <div class="shadow-state">
      <h3 id={id}>{title}</h3>
      <pre data-state={id}>{empty ? '{}' : JSON.stringify(state, null, 2)}</pre>
    </div>
  );
}

/** The change the form describes: only the fields the user filled in. */
function changeOf(form: { interval: string; channel: string; sensors: string }): PutDeviceConfigRequest {
  const change: PutDeviceConfigRequest = {};
  if (form.interval.trim() !== '') change.reportingIntervalSeconds = Number(form.interval);
  if (form.channel !== '') change.firmwareChannel = form.channel as (typeof CHANNELS)[number];
  if (form.sensors.trim() !== '') {
    change.enabledSensors = form.sensors
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
  }
  return change;
}

/** The configuration in the device shadow (desired, reported, the delta still on its way) and a form to change it. */
export function ConfigPanel({ api, deviceId, pollMs }: { api: ApiClient; deviceId: string; pollMs: number }) {
  const view = usePoll<DeviceConfigView>(() => api.config(deviceId), pollMs, `config:${deviceId}`);
  const [form, setForm] = useState({ interval: '', channel: '', sensors: '' });
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>();
  const [saving, setSaving] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const change = changeOf(form);
    if (Object.keys(change).length === 0) {
      setMessage({ text: 'Fill in at least one field to change.', error: true });
      return;
    }
    setSaving(true);
    setMessage(undefined);
    try {
      const answer = await api.putConfig(deviceId, change);
      setMessage({ text: `Sent as desired state (shadow version ${answer.version}).`, error: false });
      setForm({ interval: '', channel: '', sensors: '' });
      view.refresh();
    } catch (error) {
      setMessage({ text: `Not sent: ${error instanceof Error ? error.message : String(error)}`, error: true });
    } finally {
      setSaving(false);
    }
  };

  const data = view.data;
  const inStep = data ? Object.keys(data.delta).length === 0 : false;
  return (
    <>
      {data ? (
        <>
          <p class={inStep ? 'in-step' : 'pending'} data-testid="config-sync">
            {inStep
              ? `In step: the device reports what is desired (version ${data.version ?? '–'}).`
              : 'Pending: the device has not yet reported the delta.'}{' '}
            Desired {ago(data.desiredUpdatedAt)}, reported {ago(data.reportedUpdatedAt)}.
          </p>
          <div class="shadow-states">
            <StateBlock title="Desired" state={data.desired} id="config-desired" />
            <StateBlock title="Reported" state={data.reported} id="config-reported" />
            <StateBlock title="Delta" state={data.delta} id="config-delta" />
          </div>
        </>
      ) : (
        <p>{view.error ? `The configuration could not be read: ${view.error}` : 'Loading…'}</p>
      )}
      <form class="config-form" onSubmit={submit} aria-label={`Change the configuration of ${deviceId}`}>
        <div class="field">
          <label for="config-interval">Reporting interval (seconds)</label>
          <input
            id="config-interval"
            type="number"
            min={1}
            max={86400}
            step={1}
            inputMode="numeric"
            value={form.interval}
            onInput={(event) => setForm({ ...form, interval: event.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for="config-channel">Firmware channel</label>
          <select
            id="config-channel"
            value={form.channel}
            onChange={(event) => setForm({ ...form, channel: event.currentTarget.value })}
          >
            <option value="">(unchanged)</option>
            {CHANNELS.map((channel) => (
              <option value={channel} key={channel}>
                {channel}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="config-sensors">Enabled sensors (comma-separated)</label>
          <input
            id="config-sensors"
            placeholder="temperature, humidity"
            value={form.sensors}
            onInput={(event) => setForm({ ...form, sensors: event.currentTarget.value })}
          />
        </div>
        <button type="submit" disabled={saving}>
          {saving ? 'Sending…' : 'Send configuration'}
        </button>
      </form>
      <p class={message?.error ? 'error' : 'status'} role="status">
        {message?.text ?? ''}
      </p>
    </>
  );
}
