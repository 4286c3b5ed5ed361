import * as z from 'zod';
import { AlarmNotificationSchema, AlarmSchema, AlarmStateSchema } from './alarm.schema';
import { DeviceIdSchema, EpochMillisSchema } from './common.schema';

/** One change of an alarm's state as the history keeps it: the notification that was published for it. */
export const AlarmHistoryEntrySchema = AlarmNotificationSchema.omit({ reminder: true });
export type AlarmHistoryEntry = z.infer<typeof AlarmHistoryEntrySchema>;

const pageFields = {
  limit: z.coerce.number().int().min(1).max(100).optional(),
  nextToken: z.string().min(1).max(2048).optional(),
};

/** Query of `GET /devices/{deviceId}/alarms/history`: a time range of changes (inclusive, in ms) and a page. */
export const GetAlarmHistoryQuerySchema = z
  .object({
    from: z.coerce.number().pipe(EpochMillisSchema).optional(),
    to: z.coerce.number().pipe(EpochMillisSchema).optional(),
    ...pageFields,
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'must not be after to',
    path: ['from'],
  });
export type GetAlarmHistoryQuery = z.infer<typeof GetAlarmHistoryQuerySchema>;

/** A page of a device's alarm changes, newest first. */
export const AlarmHistoryPageSchema = z.object({
  deviceId: DeviceIdSchema,
  items: z.array(AlarmHistoryEntrySchema),
  /** Pass as `nextToken` (with the same query) for the next page; absent on the last page. */
  nextToken: z.string().optional(),
});
export type AlarmHistoryPage = z.infer<typeof AlarmHistoryPageSchema>;

/** Query of `GET /alarms`: the alarms of the whole fleet in one state (default `ALARM`), a page. */
export const ListAlarmsQuerySchema = z
  .object({
    state: AlarmStateSchema.default('ALARM'),
    ...pageFields,
  })
  .strict();
export type ListAlarmsQuery = z.infer<typeof ListAlarmsQuerySchema>;

/** A page of the fleet's alarms in one state, the most recently changed first. */
export const AlarmsPageSchema = z.object({
  state: AlarmStateSchema,
  items: z.array(AlarmSchema),
  /** Pass as `nextToken` (with the same state) for the next page; absent on the last page. */
  nextToken: z.string().optional(),
});
export type AlarmsPage = z.infer<typeof AlarmsPageSchema>;
