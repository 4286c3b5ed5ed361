import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger, type Logger, once } from '@iot/lambda-kit';
import { summarizeIssues } from '@iot/types';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { IotDataPublisher } from '../adapters/iot-data-publisher';
import { SqsRuleErrorQueue } from '../adapters/sqs-rule-error-queue';
import { loadConfig } from '../config';
import {
  type IotPublisher,
  type ReplayReport,
  type RuleErrorQueue,
  replayFailedDeliveries,
} from '../domain/replay-failed-deliveries';

/** `serverless invoke -f replayRuleErrors -d '{"maxMessages": 500}'`; an empty event replays up to 100. */
const ReplayRequestSchema = z
  .object({ maxMessages: z.number().int().min(1).max(10_000).default(100) })
  .strict()
  .default({ maxMessages: 100 });

export interface ReplayRuleErrorsDependencies {
  queue: RuleErrorQueue;
  publisher: IotPublisher;
  logger: Logger;
}

/** Replays the messages the topic rules could not deliver, once the failing downstream is fixed. */
export function createReplayRuleErrorsHandler({ queue, publisher, logger }: ReplayRuleErrorsDependencies) {
  return middy<unknown, ReplayReport, Error, Context>().handler(async (event) => {
    const request = ReplayRequestSchema.safeParse(event ?? undefined);
    if (!request.success) throw new Error(`Invalid replay request: ${summarizeIssues(request.error)}`);
    const report = await replayFailedDeliveries({ queue, publisher }, request.data);
    logger.info('rule errors replayed', { ...report });
    return report;
  });
}

const built = once(() => {
  const config = loadConfig();
  return createReplayRuleErrorsHandler({
    queue: new SqsRuleErrorQueue(new SQSClient({}), config.RULE_ERRORS_QUEUE_NAME),
    publisher: new IotDataPublisher(new IoTDataPlaneClient({})),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
  });
});

export const handler = (event: unknown, context: Context) => built()(event, context);
