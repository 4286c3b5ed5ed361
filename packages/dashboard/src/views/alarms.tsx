import type { Alarm } from '@iot/types';
import { useState } from 'preact/hooks';
import type { ApiClient } from '../api';
import { ago, deviceHref, number, SEVERITIES } from '../format';
import { usePoll } from '../poll';
import { Freshness, SeverityBadge } from './status';

const rank = (alarm: Alarm) => SEVERITIES.indexOf(alarm.severity);

/** Active alarms, the most severe and most recent first, each with its acknowledge button. */
export function AlarmFeed({
  api,
  alarms,
  loaded,
  onChange,
}: {
  api: ApiClient;
  alarms: Alarm[];
  loaded: boolean;
  onChange: () => void;
}) {
  const [pending, setPending] = useState<string | undefined>();
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>();
  if (!loaded) return <p>Loading alarms…</p>;
  const sorted = [...alarms].sort((a, b) => rank(a) - rank(b) || b.stateChangedAt - a.stateChangedAt);

  const acknowledge = async (alarm: Alarm) => {
    const id = `${alarm.deviceId}/${alarm.metric}`;
    setPending(id);
    setMessage(undefined);
    try {
      await api.acknowledge(alarm.deviceId, alarm.metric);
      setMessage({ text: `Acknowledged ${alarm.metric} on ${alarm.deviceId}.`, error: false });
      onChange();
    } catch (error) {
      setMessage({ text: `Not acknowledged: ${error instanceof Error ? error.message : String(error)}`, error: true });
    } finally {
      setPending(undefined);
    }
  };

  return (
    <>
      <p class={message?.error ? 'error' : 'status'} role="status">
        {message?.text ?? ''}
      </p>
      {sorted.length === 0 ? (
        <p>No active alarms.</p>
      ) : (
        <ul class="alarm-feed" aria-label="Active alarms">
          {sorted.map((alarm) => {
            const id = `${alarm.deviceId}/${alarm.metric}`;
            return (
              <li key={id} class={`alarm severity-${alarm.severity}`} data-alarm={id}>
                <div class="alarm-head">
                  <SeverityBadge severity={alarm.severity} />
                  <a href={deviceHref(alarm.deviceId)}>{alarm.deviceId}</a>
                  <span class="metric">{alarm.metric}</span>
                </div>
                <p class="alarm-reason">
                  {number(alarm.lastValue)} is {alarm.comparison} {number(alarm.threshold)} · since{' '}
                  {ago(alarm.stateChangedAt)}
                </p>
                {alarm.acknowledgedAt ? (
                  <p class="acknowledged">Acknowledged {ago(alarm.acknowledgedAt)}</p>
                ) : (
                  <button
                    type="button"
                    onClick={() => void acknowledge(alarm)}
                    disabled={pending === id}
                    aria-label={`Acknowledge ${alarm.metric} alarm of ${alarm.deviceId}`}
                  >
                    {pending === id ? 'Acknowledging…' : 'Acknowledge'}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}

export function AlarmsView({ api, pollMs }: { api: ApiClient; pollMs: number }) {
  const alarms = usePoll(() => api.activeAlarms(), pollMs, 'alarms');
  return (
    <>
      <h1 tabIndex={-1}>Alarms</h1>
      <Freshness updatedAt={alarms.updatedAt} error={alarms.error} />
      <AlarmFeed api={api} alarms={alarms.data ?? []} loaded={alarms.data !== undefined} onChange={alarms.refresh} />
    </>
  );
}
