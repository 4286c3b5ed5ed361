import { createLogger, type Logger, once } from '@iot/lambda-kit';
import { CommandResultEventSchema, summarizeIssues } from '@iot/types';
import { DynamoDbCommandStore } from '../adapters/dynamodb-command-store';
import { DynamoDbDeviceStore } from '../adapters/dynamodb-device-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { loadRuleConfig } from '../config';
import { type CommandStore, recordCommandResult } from '../domain/commands';
import type { DeviceStore } from '../domain/devices';

export interface RecordCommandResultDependencies {
  devices: DeviceStore;
  commands: CommandStore;
  logger: Logger;
}

/**
 * Invoked by the command result rule with each answer a device publishes on
 * `devices/{deviceId}/commands/{commandId}/result`. An answer that is not one (bad JSON, unknown status, an id that
 * is not a command id) is logged and dropped: retrying cannot mend it. A failure to write is thrown, so Lambda
 * retries the event and then keeps it in the failures queue.
 */
export function createRecordCommandResultHandler({ devices, commands, logger }: RecordCommandResultDependencies) {
  return async (event: unknown): Promise<void> => {
    const parsed = CommandResultEventSchema.safeParse(event);
    if (!parsed.success) {
      logger.warn('command result dropped: not a valid answer', { reason: summarizeIssues(parsed.error), event });
      return;
    }
    const { deviceId, commandId, status } = parsed.data;
    const outcome = await recordCommandResult({ devices, commands }, parsed.data);
    if (outcome === 'recorded') logger.info('command result recorded', { deviceId, commandId, status });
    else logger.warn('command result ignored', { deviceId, commandId, status, reason: outcome });
  };
}

const built = once(() => {
  const config = loadRuleConfig();
  const documents = createDocumentClient();
  return createRecordCommandResultHandler({
    devices: new DynamoDbDeviceStore(documents, config.DEVICES_TABLE_NAME),
    commands: new DynamoDbCommandStore(documents, config.COMMANDS_TABLE_NAME),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
  });
});

export const handler = (event: unknown) => built()(event);
