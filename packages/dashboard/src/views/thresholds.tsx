import type { AppliedThresholdRule, ThresholdRule } from '@iot/types';
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api';
import { number, SEVERITIES } from '../format';
import { usePoll } from '../poll';

interface Row {
  metric: string;
  comparison: 'above' | 'below';
  value: string;
  clearValue: string;
  severity: (typeof SEVERITIES)[number];
}

const rowOf = (rule: AppliedThresholdRule): Row => ({
  metric: rule.metric,
  comparison: rule.comparison,
  value: String(rule.value),
  clearValue: rule.clearValue === undefined ? '' : String(rule.clearValue),
  severity: rule.severity ?? 'major',
});

function ruleOf(row: Row): ThresholdRule {
  return {
    metric: row.metric.trim(),
    comparison: row.comparison,
    value: Number(row.value),
    ...(row.clearValue.trim() === '' ? {} : { clearValue: Number(row.clearValue) }),
    severity: row.severity,
  };
}

/** The device's own threshold rules, editable, and the fleet defaults that apply to its other metrics. */
export function ThresholdsPanel({ api, deviceId }: { api: ApiClient; deviceId: string }) {
  // Rules change only when someone saves them: read once per device, and again after a save.
  const applied = usePoll(() => api.thresholds(deviceId), 60_000, `thresholds:${deviceId}`);
  const [rows, setRows] = useState<Row[] | undefined>();
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>();
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (applied.data && rows === undefined) {
      setRows(applied.data.rules.filter((rule) => rule.source === 'device').map(rowOf));
    }
  }, [applied.data, rows]);
  useEffect(() => setRows(undefined), [deviceId]);

  if (!applied.data || !rows)
    return <p>{applied.error ? `Thresholds could not be read: ${applied.error}` : 'Loading…'}</p>;
  const fleetRules = applied.data.rules.filter((rule) => rule.source === 'fleet');
  const update = (index: number, change: Partial<Row>) =>
    setRows(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));

  const save = async (event: Event) => {
    event.preventDefault();
    setSaving(true);
    setMessage(undefined);
    try {
      const answer = await api.putThresholds(deviceId, rows.map(ruleOf));
      setRows(answer.rules.filter((rule) => rule.source === 'device').map(rowOf));
      setMessage({ text: 'Thresholds saved.', error: false });
    } catch (error) {
      setMessage({ text: `Not saved: ${error instanceof Error ? error.message : String(error)}`, error: true });
    } finally {
      setSaving(false);
    }
  };

  return (
    <form onSubmit={save} class="thresholds" aria-label={`Threshold rules of ${deviceId}`}>
      {rows.length === 0 ? <p>No rules of its own.</p> : null}
      {rows.map((row, index) => {
        const id = `rule-${index}`;
        return (
          <fieldset class="rule" key={id}>
            <legend>Rule {index + 1}</legend>
            <label for={`${id}-metric`}>Metric</label>
            <input
              id={`${id}-metric`}
              required
              pattern="[A-Za-z0-9_.\-]+"
              value={row.metric}
              onInput={(event) => update(index, { metric: event.currentTarget.value })}
            />
            <label for={`${id}-comparison`}>Alarm when</label>
            <select
              id={`${id}-comparison`}
              value={row.comparison}
              onChange={(event) => update(index, { comparison: event.currentTarget.value as Row['comparison'] })}
            >
              <option value="above">above</option>
              <option value="below">below</option>
            </select>
            <label for={`${id}-value`}>Limit</label>
            <input
              id={`${id}-value`}
              type="number"
              step="any"
              required
              value={row.value}
              onInput={(event) => update(index, { value: event.currentTarget.value })}
            />
            <label for={`${id}-clear`}>Clears at (optional)</label>
            <input
              id={`${id}-clear`}
              type="number"
              step="any"
              value={row.clearValue}
              onInput={(event) => update(index, { clearValue: event.currentTarget.value })}
            />
            <label for={`${id}-severity`}>Severity</label>
            <select
              id={`${id}-severity`}
              value={row.severity}
              onChange={(event) => update(index, { severity: event.currentTarget.value as Row['severity'] })}
            >
              {SEVERITIES.map((severity) => (
                <option value={severity} key={severity}>
                  {severity}
                </option>
              ))}
            </select>
            <button type="button" class="secondary" onClick={() => setRows(rows.filter((_, i) => i !== index))}>
              Remove rule {index + 1}
            </button>
          </fieldset>
        );
      })}
      <div class="actions">
        <button
          type="button"
          class="secondary"
          onClick={() =>
            setRows([
              ...rows,
              { metric: 'temperature', comparison: 'above', value: '', clearValue: '', severity: 'major' },
            ])
          }
        >
          Add rule
        </button>
        <button type="submit" disabled={saving}>
          {saving ? 'Saving…' : 'Save thresholds'}
        </button>
      </div>
      <p class={message?.error ? 'error' : 'status'} role="status">
        {message?.text ?? ''}
      </p>
      {fleetRules.length > 0 ? (
        <>
          <h3>Fleet defaults for its other metrics</h3>
          <ul>
            {fleetRules.map((rule) => (
              <li key={rule.metric}>
                {rule.metric} {rule.comparison} {number(rule.value)} ({rule.severity ?? 'major'})
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </form>
  );
}
