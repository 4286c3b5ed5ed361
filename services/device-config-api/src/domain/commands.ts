import {
  type Command,
  type CommandMessage,
  type CommandName,
  type CommandResultEvent,
  type CommandResultPayload,
  type CommandStatus,
  DEFAULT_COMMAND_TIMEOUT_SECONDS,
  type SendCommandRequest,
} from '@iot/types';
import { type Caller, type DeviceRecord, type DeviceStore, ownedDevice } from './devices';

/** A command as the commands table keeps it. */
export interface CommandRecord {
  deviceId: string;
  commandId: string;
  /** The user who sent it: only they see it, even if the device changes hands. */
  ownerId: string;
  name: CommandName;
  parameters: Record<string, unknown>;
  /** As stored: `timedOut` is never stored, it is what `sent` becomes past the deadline. */
  status: Exclude<CommandStatus, 'timedOut'>;
  requestedAt: number;
  sentAt?: number;
  deadline: number;
  completedAt?: number;
  result?: Omit<CommandResultPayload, 'status'>;
  /** Seconds since the epoch: the table's time to live. */
  expiresAt: number;
}

export type ResultOutcome = 'recorded' | 'unknown-command' | 'already-completed';

/** The commands table. */
export interface CommandStore {
  create(record: CommandRecord): Promise<void>;
  /** `pending` to `sent`; nothing if the device already answered. */
  markSent(deviceId: string, commandId: string, sentAt: number): Promise<void>;
  remove(deviceId: string, commandId: string): Promise<void>;
  get(deviceId: string, commandId: string): Promise<CommandRecord | undefined>;
  /** Records the device's answer, the first only. */
  recordResult(
    deviceId: string,
    commandId: string,
    result: CommandResultPayload,
    completedAt: number,
  ): Promise<ResultOutcome>;
}

/** Publishes on `devices/{deviceId}/commands` with QoS 1. */
export interface CommandPublisher {
  publish(deviceId: string, message: CommandMessage): Promise<void>;
}

/** No such command of this device for the caller. */
export class CommandNotFoundError extends Error {
  constructor(
    readonly deviceId: string,
    readonly commandId: string,
  ) {
    super(`Device ${deviceId} has no command ${commandId}`);
    this.name = 'CommandNotFoundError';
  }
}

/** A command as the API shows it: `sent` past its deadline is `timedOut`. */
export function commandView(record: CommandRecord, now: number): Command {
  const timedOut = (record.status === 'sent' || record.status === 'pending') && now > record.deadline;
  return {
    commandId: record.commandId,
    deviceId: record.deviceId,
    name: record.name,
    parameters: record.parameters,
    status: timedOut ? 'timedOut' : record.status,
    requestedAt: record.requestedAt,
    ...(record.sentAt === undefined ? {} : { sentAt: record.sentAt }),
    deadline: record.deadline,
    ...(record.completedAt === undefined ? {} : { completedAt: record.completedAt }),
    ...(record.result === undefined ? {} : { result: record.result }),
  };
}

export interface SendCommandDependencies {
  devices: DeviceStore;
  commands: CommandStore;
  publisher: CommandPublisher;
  newCommandId: () => string;
  retentionDays: number;
}

/**
 * Sends a command to one of the caller's devices (`device`, as `ownedDevice` answered it): recorded first (so a fast
 * answer always finds it), then published. If publishing fails, the record goes too and nothing was sent.
 */
export async function sendCommand(
  deps: SendCommandDependencies,
  caller: Caller,
  device: DeviceRecord,
  request: SendCommandRequest,
  now: number,
): Promise<Command> {
  const { deviceId } = device;
  const record: CommandRecord = {
    deviceId,
    commandId: deps.newCommandId(),
    ownerId: caller.userId,
    name: request.name,
    parameters: request.parameters ?? {},
    status: 'pending',
    requestedAt: now,
    deadline: now + (request.timeoutSeconds ?? DEFAULT_COMMAND_TIMEOUT_SECONDS) * 1000,
    expiresAt: Math.ceil(now / 1000) + deps.retentionDays * 86_400,
  };
  await deps.commands.create(record);
  try {
    await deps.publisher.publish(deviceId, {
      commandId: record.commandId,
      name: record.name,
      parameters: record.parameters,
      issuedAt: now,
      deadline: record.deadline,
    });
  } catch (error) {
    await deps.commands.remove(deviceId, record.commandId);
    throw error;
  }
  await deps.commands.markSent(deviceId, record.commandId, now);
  return commandView({ ...record, status: 'sent', sentAt: now }, now);
}

/** A command the caller sent to one of their devices. */
export async function getCommand(
  deps: { devices: DeviceStore; commands: CommandStore },
  caller: Caller,
  deviceId: string,
  commandId: string,
  now: number,
): Promise<Command> {
  await ownedDevice(deps.devices, caller, deviceId);
  const record = await deps.commands.get(deviceId, commandId);
  if (!record || record.ownerId !== caller.userId) throw new CommandNotFoundError(deviceId, commandId);
  return commandView(record, now);
}

/** Records a device's answer to a command, and that the device was heard from. */
export async function recordCommandResult(
  deps: { devices: DeviceStore; commands: CommandStore },
  event: CommandResultEvent,
): Promise<ResultOutcome> {
  const { deviceId, commandId, receivedAt, ...result } = event;
  const outcome = await deps.commands.recordResult(deviceId, commandId, result, receivedAt);
  await deps.devices.touch(deviceId, receivedAt);
  return outcome;
}
