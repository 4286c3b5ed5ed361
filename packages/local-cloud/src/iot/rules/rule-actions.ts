import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type CompiledTemplate,
  compileTemplate,
  type PreparedMessage,
  type SqlValue,
  type SqlVersion,
  serializeOutput,
} from '@iot/iot-sql';
import type { LambdaInvoker, ObjectWriter, QueueSender, TopicPublisher } from '../../contracts';
import type { IotPublisher, PublishedMessage } from '../contracts';
import { InvalidTopicRuleError } from './rule-errors';

/** The local services the rule actions deliver to; an action whose service is missing fails (and runs the error action). */
export interface RuleActionTargets {
  lambda?: LambdaInvoker;
  /** The broker, for `republish`. */
  republish?: IotPublisher;
  kinesis?: {
    putRecord(stream: string, data: Buffer | Uint8Array | string, partitionKey: string): unknown;
  };
  firehose?: { putRecords(streamName: string, records: readonly Uint8Array[]): Promise<unknown> };
  sns?: TopicPublisher;
  sqs?: QueueSender;
  s3?: ObjectWriter;
  /** A client of the local DynamoDB, for `dynamoDB` and `dynamoDBv2`. */
  dynamodb?: Pick<DynamoDBClient, 'send'>;
  /** For `http`; the global fetch by default. */
  fetch?: typeof fetch;
}

/** What an action is run with: the message, and the SELECT result. */
export interface ActionContext {
  message: PublishedMessage;
  prepared: PreparedMessage;
  output: SqlValue;
  /** The SELECT result serialised (JSON text, or the bytes of a binary result), once for all the actions. */
  serialized(): string | Uint8Array;
  /** The SELECT result as the bytes actions send. */
  bytes(): Buffer;
  region: string;
  accountId: string;
}

/** One action of a rule, compiled once: its templates are ready, its run delivers. */
export interface CompiledAction {
  /** The action's key in the payload: `lambda`, `kinesis`, `dynamoDBv2`, ... */
  readonly type: string;
  /** As AWS names it in an error action's `failedAction`: `LambdaAction`, `KinesisAction`, ... */
  readonly name: string;
  /** The resource it delivers to, as `failedResource` names it. */
  resource(context: ActionContext): string;
  run(context: ActionContext, targets: RuleActionTargets): Promise<void>;
}

const ACTION_NAMES: Record<string, string> = {
  lambda: 'LambdaAction',
  republish: 'RepublishAction',
  kinesis: 'KinesisAction',
  firehose: 'FirehoseAction',
  sns: 'SnsAction',
  sqs: 'SqsAction',
  s3: 'S3Action',
  dynamoDB: 'DynamoDBAction',
  dynamoDBv2: 'DynamoDBv2Action',
  http: 'HttpAction',
};

/** Separators the Firehose action accepts. */
const FIREHOSE_SEPARATORS = new Set(['\n', '\t', '\r\n', ',']);
const MAX_FIREHOSE_BATCH = 500;
const HTTP_TIMEOUT_MS = 10_000;

type Config = Record<string, unknown>;
type Field = (context: ActionContext) => string;

/** A field that may hold a substitution template (`${...}`), compiled once; a plain value is returned as is. */
function field(config: Config, name: string, sqlVersion: SqlVersion, required: boolean, type: string): Field {
  const value = config[name];
  if (value === undefined || value === null || value === '') {
    if (required) throw new InvalidTopicRuleError(`The ${type} action requires ${name}`);
    return () => '';
  }
  const text = String(value);
  if (!text.includes('${')) return () => text;
  let template: CompiledTemplate;
  try {
    template = compileTemplate(text, { sqlVersion });
  } catch (error) {
    throw new InvalidTopicRuleError(`Invalid substitution template in ${type}.${name}: ${(error as Error).message}`);
  }
  return (context) => template(context.prepared);
}

function missing(service: string): Error {
  return new Error(`The local cloud has no ${service} service to deliver to`);
}

/** The SELECT result as JSON for Lambda: parsed JSON, or base64 text for a binary result. */
function jsonEvent(context: ActionContext): unknown {
  const serialized = context.serialized();
  if (typeof serialized === 'string') return JSON.parse(serialized);
  return Buffer.from(serialized).toString('base64');
}

/** The SELECT result as a JSON object, for DynamoDBv2 items. */
function jsonObject(context: ActionContext, type: string): Record<string, unknown> {
  const serialized = context.serialized();
  const value = typeof serialized === 'string' ? JSON.parse(serialized) : undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`The ${type} action needs a JSON object as the SELECT result`);
  }
  return value as Record<string, unknown>;
}

/** A JSON value as a DynamoDB attribute value. */
export function toAttributeValue(value: unknown): AttributeValue {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toAttributeValue) };
  if (value instanceof Uint8Array) return { B: value };
  return {
    M: Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toAttributeValue(v)])),
  };
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` or a local queue URL, as the queue's ARN. */
export function queueArnFromUrl(queueUrl: string, region: string, accountId: string): string {
  if (queueUrl.startsWith('arn:')) return queueUrl;
  const url = new URL(queueUrl);
  const [account, name] = url.pathname.split('/').filter(Boolean).slice(-2);
  if (!name) throw new Error(`Not a queue URL: ${queueUrl}`);
  const hostRegion = /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname)?.[1];
  return `arn:aws:sqs:${hostRegion ?? region}:${account ?? accountId}:${name}`;
}

/**
 * Compiles one entry of a rule's `actions` (or its `errorAction`): `{ kinesis: { streamName, partitionKey } }`.
 * Throws {@link InvalidTopicRuleError} for a malformed action or template.
 */
export function compileAction(entry: Record<string, unknown>, sqlVersion: SqlVersion): CompiledAction {
  const keys = Object.keys(entry).filter((k) => entry[k] !== undefined && entry[k] !== null);
  if (keys.length !== 1) {
    throw new InvalidTopicRuleError(`An action must have exactly one type, found: ${keys.join(', ') || 'none'}`);
  }
  const type = keys[0] as string;
  const config = entry[type];
  if (typeof config !== 'object' || config === null) throw new InvalidTopicRuleError(`Invalid ${type} action`);
  const c = config as Config;
  const name = ACTION_NAMES[type] ?? `${type.charAt(0).toUpperCase()}${type.slice(1)}Action`;
  const f = (member: string, required = false) => field(c, member, sqlVersion, required, type);

  switch (type) {
    case 'lambda': {
      const functionArn = f('functionArn', true);
      return {
        type,
        name,
        resource: functionArn,
        async run(context, targets) {
          if (!targets.lambda) throw missing('Lambda');
          // The rules engine invokes asynchronously (InvocationType Event), as AWS IoT does. A JSON result is sent
          // as the text the SELECT produced.
          const lambda = targets.lambda;
          const serialized = context.serialized();
          const result =
            typeof serialized === 'string' && lambda.invokeJson
              ? await lambda.invokeJson(functionArn(context), serialized, 'Event')
              : await lambda.invoke(functionArn(context), jsonEvent(context), 'Event');
          if (!result.ok) throw new Error(`${result.error.errorType}: ${result.error.errorMessage}`);
        },
      };
    }
    case 'republish': {
      const topic = f('topic', true);
      const qos = Number(c.qos ?? 0) === 1 ? 1 : 0;
      return {
        type,
        name,
        resource: topic,
        async run(context, targets) {
          if (!targets.republish) throw missing('MQTT broker');
          await targets.republish.publish({ topic: topic(context), payload: context.bytes(), qos, retain: false });
        },
      };
    }
    case 'kinesis': {
      const streamName = f('streamName', true);
      const partitionKey = f('partitionKey');
      return {
        type,
        name,
        resource: streamName,
        async run(context, targets) {
          if (!targets.kinesis) throw missing('Kinesis');
          const key = partitionKey(context) || randomUUID();
          await targets.kinesis.putRecord(streamName(context), context.bytes(), key);
        },
      };
    }
    case 'firehose': {
      const deliveryStreamName = f('deliveryStreamName', true);
      const separator = c.separator === undefined ? '' : String(c.separator);
      if (separator && !FIREHOSE_SEPARATORS.has(separator)) {
        throw new InvalidTopicRuleError(`The firehose separator must be one of \\n, \\t, \\r\\n or ','`);
      }
      const batchMode = c.batchMode === true || c.batchMode === 'true';
      const withSeparator = (bytes: Uint8Array | string) =>
        Buffer.concat([Buffer.from(bytes), Buffer.from(separator)]) as Uint8Array;
      return {
        type,
        name,
        resource: deliveryStreamName,
        async run(context, targets) {
          if (!targets.firehose) throw missing('Firehose');
          let records: Uint8Array[];
          if (batchMode) {
            if (!Array.isArray(context.output)) throw new Error('Batch mode needs a JSON array as the SELECT result');
            if (context.output.length > MAX_FIREHOSE_BATCH) {
              throw new Error(
                `Batch mode sends at most ${MAX_FIREHOSE_BATCH} records, the SELECT result has ${context.output.length}`,
              );
            }
            records = context.output.map((item) => withSeparator(serializeOutput(item)));
          } else {
            records = [withSeparator(context.bytes())];
          }
          if (records.length > 0) await targets.firehose.putRecords(deliveryStreamName(context), records);
        },
      };
    }
    case 'sns': {
      const targetArn = f('targetArn', true);
      const json = String(c.messageFormat ?? 'RAW').toUpperCase() === 'JSON';
      return {
        type,
        name,
        resource: targetArn,
        async run(context, targets) {
          if (!targets.sns) throw missing('SNS');
          await targets.sns.publishToTopic(
            targetArn(context),
            context.bytes().toString('utf8'),
            json ? { messageStructure: 'json' } : undefined,
          );
        },
      };
    }
    case 'sqs': {
      const queueUrl = f('queueUrl', true);
      const useBase64 = c.useBase64 === true || c.useBase64 === 'true';
      return {
        type,
        name,
        resource: queueUrl,
        async run(context, targets) {
          if (!targets.sqs) throw missing('SQS');
          const bytes = context.bytes();
          const body = useBase64 ? bytes.toString('base64') : bytes.toString('utf8');
          await targets.sqs.sendToQueue(queueArnFromUrl(queueUrl(context), context.region, context.accountId), body);
        },
      };
    }
    case 's3': {
      const bucketName = f('bucketName', true);
      const key = f('key', true);
      return {
        type,
        name,
        resource: bucketName,
        async run(context, targets) {
          if (!targets.s3) throw missing('S3');
          await targets.s3.putObject(bucketName(context), key(context), context.bytes());
        },
      };
    }
    case 'dynamoDBv2': {
      const putItem = c.putItem as Config | undefined;
      if (!putItem) throw new InvalidTopicRuleError('The dynamoDBv2 action requires putItem.tableName');
      const tableName = field(putItem, 'tableName', sqlVersion, true, 'dynamoDBv2');
      return {
        type,
        name,
        resource: tableName,
        async run(context, targets) {
          if (!targets.dynamodb) throw missing('DynamoDB');
          const item = toAttributeValue(jsonObject(context, 'dynamoDBv2')).M ?? {};
          await targets.dynamodb.send(new PutItemCommand({ TableName: tableName(context), Item: item }));
        },
      };
    }
    case 'dynamoDB': {
      const tableName = f('tableName', true);
      const hashKeyField = f('hashKeyField', true);
      const hashKeyValue = f('hashKeyValue', true);
      const rangeKeyField = f('rangeKeyField');
      const rangeKeyValue = f('rangeKeyValue');
      const operation = f('operation');
      const payloadField = f('payloadField');
      const keyValue = (type: unknown, value: string): AttributeValue =>
        String(type ?? 'STRING').toUpperCase() === 'NUMBER' ? { N: value } : { S: value };
      return {
        type,
        name,
        resource: tableName,
        async run(context, targets) {
          if (!targets.dynamodb) throw missing('DynamoDB');
          const table = tableName(context);
          const key: Record<string, AttributeValue> = {
            [hashKeyField(context)]: keyValue(c.hashKeyType, hashKeyValue(context)),
          };
          const rangeField = rangeKeyField(context);
          if (rangeField) key[rangeField] = keyValue(c.rangeKeyType, rangeKeyValue(context));
          const column = payloadField(context) || 'payload';
          const serialized = context.serialized();
          let payload: AttributeValue;
          if (typeof serialized === 'string') {
            const parsed = JSON.parse(serialized) as unknown;
            payload = typeof parsed === 'object' && parsed !== null ? toAttributeValue(parsed) : { S: serialized };
          } else {
            payload = { B: serialized };
          }
          const op = (operation(context) || 'INSERT').toUpperCase();
          if (op === 'DELETE') {
            await targets.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: key }));
          } else if (op === 'UPDATE') {
            await targets.dynamodb.send(
              new UpdateItemCommand({
                TableName: table,
                Key: key,
                UpdateExpression: 'SET #payload = :payload',
                ExpressionAttributeNames: { '#payload': column },
                ExpressionAttributeValues: { ':payload': payload },
              }),
            );
          } else {
            await targets.dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key, [column]: payload } }));
          }
        },
      };
    }
    case 'http': {
      const url = f('url', true);
      const headers = (Array.isArray(c.headers) ? c.headers : []).map((header: Config) => ({
        key: String(header.key ?? ''),
        value: field(header, 'value', sqlVersion, false, 'http'),
      }));
      return {
        type,
        name,
        resource: url,
        async run(context, targets) {
          const send = targets.fetch ?? fetch;
          const response = await send(url(context), {
            method: 'POST',
            headers: Object.fromEntries(headers.map((h) => [h.key, h.value(context)])),
            body: context.bytes(),
            signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
          });
          if (response.status < 200 || response.status >= 300) {
            throw new Error(`The HTTP endpoint answered ${response.status} ${response.statusText}`);
          }
        },
      };
    }
    default:
      return {
        type,
        name,
        resource: () => type,
        async run() {
          throw new Error(`The ${type} action is not supported by the local cloud`);
        },
      };
  }
}

/** Whether the local cloud can run an action type. */
export const isSupportedAction = (type: string) => type in ACTION_NAMES;
