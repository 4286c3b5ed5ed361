import * as z from 'zod';
import { DeviceIdSchema, EpochMillisSchema, MetricNameSchema } from './common.schema';

/** How long a device has to answer a command unless the request says otherwise. */
export const DEFAULT_COMMAND_TIMEOUT_SECONDS = 60;

const timeoutSeconds = z
  .number()
  .int()
  .min(5)
  .max(3600)
  .optional()
  .describe(`Seconds the device has to answer (5 to 3600, default ${DEFAULT_COMMAND_TIMEOUT_SECONDS}).`);

/** Restart the device, after an optional delay. */
export const RebootCommandSchema = z
  .object({
    name: z.literal('reboot'),
    parameters: z
      .object({ delaySeconds: z.number().int().min(0).max(3600).optional() })
      .strict()
      .optional(),
    timeoutSeconds,
  })
  .strict();

/** Make the device show itself (blink, beep) so a person can find it. */
export const IdentifyCommandSchema = z
  .object({
    name: z.literal('identify'),
    parameters: z
      .object({ durationSeconds: z.number().int().min(1).max(300).optional() })
      .strict()
      .optional(),
    timeoutSeconds,
  })
  .strict();

/** Read the sensors now and publish the readings as telemetry, outside the reporting interval. */
export const SampleNowCommandSchema = z
  .object({
    name: z.literal('sampleNow'),
    parameters: z
      .object({
        /** The sensors to read; all enabled ones when absent. */
        sensors: z
          .array(MetricNameSchema)
          .min(1)
          .max(32)
          .refine((names) => new Set(names).size === names.length, 'must not repeat a sensor')
          .optional(),
      })
      .strict()
      .optional(),
    timeoutSeconds,
  })
  .strict();

/** `POST /devices/{deviceId}/commands`: a one-off command, by name, with its parameters. */
export const SendCommandRequestSchema = z.discriminatedUnion('name', [
  RebootCommandSchema,
  IdentifyCommandSchema,
  SampleNowCommandSchema,
]);
export type SendCommandRequest = z.infer<typeof SendCommandRequestSchema>;

export const CommandNameSchema = z.enum(['reboot', 'identify', 'sampleNow']);
export type CommandName = z.infer<typeof CommandNameSchema>;

/**
 * Where a command is:
 * - `pending`: recorded, not yet handed to AWS IoT;
 * - `sent`: published on `devices/{deviceId}/commands`, no answer yet;
 * - `succeeded`, `failed`, `rejected`: the device's answer (rejected: the device would not run it);
 * - `timedOut`: no answer before the deadline.
 */
export const CommandStatusSchema = z.enum(['pending', 'sent', 'succeeded', 'failed', 'rejected', 'timedOut']);
export type CommandStatus = z.infer<typeof CommandStatusSchema>;

/** A command id: a UUID the API gives the command. */
export const CommandIdSchema = z.uuid('must be a command id as the API returned it');

/** Path parameters of `/devices/{deviceId}/commands/{commandId}`. */
export const CommandPathSchema = z.object({ deviceId: DeviceIdSchema, commandId: CommandIdSchema });

/** What a device publishes on `devices/{deviceId}/commands/{commandId}/result`. */
export const CommandResultPayloadSchema = z.object({
  status: z.enum(['succeeded', 'failed', 'rejected']),
  /** Whatever the command produced, e.g. `{"uptimeSeconds": 12}`. */
  output: z.record(z.string(), z.unknown()).optional(),
  /** Why the command failed or was rejected. */
  error: z.object({ code: z.string().min(1).max(64), message: z.string().max(1024) }).optional(),
});
export type CommandResultPayload = z.infer<typeof CommandResultPayloadSchema>;

/** What the command result rule delivers: the device's answer, with the ids from the topic. */
export const CommandResultEventSchema = CommandResultPayloadSchema.extend({
  deviceId: DeviceIdSchema,
  commandId: CommandIdSchema,
  /** The rule's `timestamp()`: when AWS IoT received the answer, in milliseconds. */
  receivedAt: EpochMillisSchema,
});
export type CommandResultEvent = z.infer<typeof CommandResultEventSchema>;

/** What a device receives on `devices/{deviceId}/commands` (QoS 1). */
export const CommandMessageSchema = z.object({
  commandId: CommandIdSchema,
  name: CommandNameSchema,
  parameters: z.record(z.string(), z.unknown()),
  issuedAt: EpochMillisSchema,
  /** After this the answer is no longer awaited: a device that receives the command later should not run it. */
  deadline: EpochMillisSchema,
});
export type CommandMessage = z.infer<typeof CommandMessageSchema>;

/** A command and what became of it: the answer of `POST` and `GET` on the commands routes. */
export const CommandSchema = z.object({
  commandId: CommandIdSchema,
  deviceId: DeviceIdSchema,
  name: CommandNameSchema,
  parameters: z.record(z.string(), z.unknown()),
  status: CommandStatusSchema,
  requestedAt: EpochMillisSchema,
  /** When it was published to the device. */
  sentAt: EpochMillisSchema.optional(),
  /** The device must answer before this. */
  deadline: EpochMillisSchema,
  /** When the device's answer arrived. */
  completedAt: EpochMillisSchema.optional(),
  /** The device's answer. */
  result: CommandResultPayloadSchema.omit({ status: true }).optional(),
});
export type Command = z.infer<typeof CommandSchema>;
