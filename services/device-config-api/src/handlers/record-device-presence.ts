import { createLogger, type Logger, once } from '@iot/lambda-kit';
import { DevicePresenceEventSchema, summarizeIssues } from '@iot/types';
import { DynamoDbDeviceStore } from '../adapters/dynamodb-device-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { loadRuleConfig } from '../config';
import { type DeviceStore, recordPresence } from '../domain/devices';

export interface RecordDevicePresenceDependencies {
  devices: DeviceStore;
  logger: Logger;
}

/**
 * Invoked by the device presence rule with each AWS IoT lifecycle event (`$aws/events/presence/...`): keeps the
 * connection state and the last seen time of registered devices. Events of clients that are not registered devices,
 * and events older than the one already applied, change nothing.
 */
export function createRecordDevicePresenceHandler({ devices, logger }: RecordDevicePresenceDependencies) {
  return async (event: unknown): Promise<void> => {
    const parsed = DevicePresenceEventSchema.safeParse(event);
    if (!parsed.success) {
      logger.warn('lifecycle event dropped: not a valid event', { reason: summarizeIssues(parsed.error), event });
      return;
    }
    const applied = await recordPresence(devices, parsed.data);
    logger.debug(applied ? 'presence recorded' : 'presence ignored', {
      clientId: parsed.data.clientId,
      eventType: parsed.data.eventType,
    });
  };
}

const built = once(() => {
  const config = loadRuleConfig();
  return createRecordDevicePresenceHandler({
    devices: new DynamoDbDeviceStore(createDocumentClient(), config.DEVICES_TABLE_NAME),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
  });
});

export const handler = (event: unknown) => built()(event);
