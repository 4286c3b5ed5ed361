import type { Command, SendCommandRequest } from '@iot/types';
import { useState } from 'preact/hooks';
import type { ApiClient } from '../api';
import { clock } from '../format';
import { usePoll } from '../poll';

const FINAL = new Set(['succeeded', 'failed', 'rejected', 'timedOut']);

const COMMANDS: { name: SendCommandRequest['name']; text: string }[] = [
  { name: 'identify', text: 'Identify (blink for 10 s)' },
  { name: 'sampleNow', text: 'Sample now' },
  { name: 'reboot', text: 'Reboot' },
];

function requestOf(name: SendCommandRequest['name']): SendCommandRequest {
  if (name === 'identify') return { name, parameters: { durationSeconds: 10 } };
  return { name };
}

/** Sends one-off commands and follows their status until the device answers. */
export function CommandsPanel({ api, deviceId, pollMs }: { api: ApiClient; deviceId: string; pollMs: number }) {
  const [name, setName] = useState<SendCommandRequest['name']>('identify');
  const [sent, setSent] = useState<Command[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [sending, setSending] = useState(false);
  const open = sent.filter((command) => !FINAL.has(command.status) && command.deviceId === deviceId);

  usePoll(
    async () => {
      if (open.length === 0) return;
      const updated = await Promise.all(open.map((command) => api.command(deviceId, command.commandId)));
      setSent((commands) => commands.map((c) => updated.find((u) => u.commandId === c.commandId) ?? c));
    },
    Math.min(pollMs, 2000),
    `commands:${deviceId}:${open.map((c) => c.commandId).join(',')}`,
  );

  const send = async (event: Event) => {
    event.preventDefault();
    setSending(true);
    setError(undefined);
    try {
      const command = await api.sendCommand(deviceId, requestOf(name));
      setSent((commands) => [command, ...commands].slice(0, 10));
    } catch (failure) {
      setError(`Not sent: ${failure instanceof Error ? failure.message : String(failure)}`);
    } finally {
      setSending(false);
    }
  };

  const mine = sent.filter((command) => command.deviceId === deviceId);
  return (
    <>
      <form class="command-form" onSubmit={send} aria-label={`Send a command to ${deviceId}`}>
        <label for="command-name">Command</label>
        <select
          id="command-name"
          value={name}
          onChange={(event) => setName(event.currentTarget.value as SendCommandRequest['name'])}
        >
          {COMMANDS.map((command) => (
            <option value={command.name} key={command.name}>
              {command.text}
            </option>
          ))}
        </select>
        <button type="submit" disabled={sending}>
          {sending ? 'Sending…' : 'Send command'}
        </button>
      </form>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {mine.length > 0 ? (
        <ul class="commands" aria-label="Commands sent" aria-live="polite">
          {mine.map((command) => (
            <li key={command.commandId}>
              <strong>{command.name}</strong> at {clock(command.requestedAt)}:{' '}
              <span class={`command-status ${command.status}`}>{command.status}</span>
              {command.result?.error ? ` (${command.result.error.message})` : ''}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}
