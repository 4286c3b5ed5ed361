import { type AwsService, AwsServiceError, type EdgeRequest, type EdgeResponse } from '../../edge/aws-service';
import type { SqsMessageAttribute } from './sqs-md5';
import type { ReceivedMessage, SqsStore } from './sqs-store';

type Input = Record<string, unknown>;
type Output = Record<string, unknown>;

/**
 * The SQS errors by name, with the AWS query protocol code and HTTP status the real service sends beside the JSON
 * `__type` (the `x-amzn-query-error` header), so query-compatible SDKs raise the modelled exception class.
 */
const ERRORS: Record<string, [queryCode: string, status: number]> = {
  QueueDoesNotExist: ['AWS.SimpleQueueService.NonExistentQueue', 400],
  QueueNameExists: ['QueueAlreadyExists', 400],
  ReceiptHandleIsInvalid: ['ReceiptHandleIsInvalid', 404],
  MessageNotInflight: ['AWS.SimpleQueueService.MessageNotInflight', 400],
  EmptyBatchRequest: ['AWS.SimpleQueueService.EmptyBatchRequest', 400],
  TooManyEntriesInBatchRequest: ['AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 400],
  BatchEntryIdsNotDistinct: ['AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 400],
  InvalidBatchEntryId: ['AWS.SimpleQueueService.InvalidBatchEntryId', 400],
  BatchRequestTooLong: ['AWS.SimpleQueueService.BatchRequestTooLong', 400],
  UnsupportedOperation: ['AWS.SimpleQueueService.UnsupportedOperation', 400],
  PurgeQueueInProgress: ['AWS.SimpleQueueService.PurgeQueueInProgress', 403],
  InvalidAddress: ['InvalidAddress', 404],
};

const MAX_BATCH = 10;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * The local SQS on the wire: the AWS JSON 1.0 protocol (`x-amz-target: AmazonSQS.<Operation>`) the AWS SDK v3
 * speaks, over an {@link SqsStore}. Queue URLs are made from the request's Host header, so they point back at the
 * edge endpoint the client used.
 */
export class SqsService implements AwsService {
  readonly signingName = 'sqs';

  constructor(readonly store: SqsStore) {}

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    try {
      const target = request.headers['x-amz-target'] ?? '';
      if (!target.startsWith('AmazonSQS.')) {
        throw new AwsServiceError(
          'InvalidAction',
          'The local SQS speaks the AWS JSON 1.0 protocol (x-amz-target: AmazonSQS.<Operation>) of current AWS SDKs only.',
        );
      }
      const operation = target.slice('AmazonSQS.'.length);
      const input = parseBody(request.body);
      const origin = `http://${request.headers.host ?? '127.0.0.1'}`;
      const output = await this.dispatch(operation, input, origin, senderId(request));
      return json(200, output);
    } catch (error) {
      return errorResponse(error);
    }
  }

  private async dispatch(operation: string, input: Input, origin: string, sender: string): Promise<Output> {
    const store = this.store;
    switch (operation) {
      case 'CreateQueue': {
        const name = requiredString(input, 'QueueName');
        const queue = store.createQueue(name, stringMap(input, 'Attributes'), stringMap(input, 'tags'), origin);
        return { QueueUrl: queue.url };
      }
      case 'GetQueueUrl':
        return { QueueUrl: store.getQueue(requiredString(input, 'QueueName'), origin).url };
      case 'ListQueues': {
        const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
        const maxResults = optionalInteger(input, 'MaxResults');
        if (maxResults !== undefined && (maxResults < 1 || maxResults > 1000)) {
          throw invalidValue('MaxResults', maxResults, 'Must be between 1 and 1000.');
        }
        const urls = store.listQueues(prefix, origin).map((q) => q.url);
        const start = Number(optionalString(input, 'NextToken') ?? 0) || 0;
        const page = urls.slice(start, start + (maxResults ?? 1000));
        const next = start + page.length;
        return {
          ...(page.length > 0 ? { QueueUrls: page } : {}),
          ...(maxResults !== undefined && next < urls.length ? { NextToken: String(next) } : {}),
        };
      }
      case 'DeleteQueue':
        store.deleteQueue(queueUrl(input));
        return {};
      case 'GetQueueAttributes': {
        const names = optionalStringList(input, 'AttributeNames') ?? [];
        const url = queueUrl(input);
        store.getQueue(url);
        const attributes = names.length === 0 ? {} : store.getQueueAttributes(url, names);
        return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
      }
      case 'SetQueueAttributes':
        store.setQueueAttributes(queueUrl(input), stringMap(input, 'Attributes'));
        return {};
      case 'TagQueue':
        store.tagQueue(queueUrl(input), stringMap(input, 'Tags'));
        return {};
      case 'UntagQueue':
        store.untagQueue(queueUrl(input), optionalStringList(input, 'TagKeys') ?? []);
        return {};
      case 'ListQueueTags': {
        const tags = store.listQueueTags(queueUrl(input));
        return Object.keys(tags).length > 0 ? { Tags: tags } : {};
      }
      case 'ListDeadLetterSourceQueues':
        return { queueUrls: store.listDeadLetterSourceQueues(queueUrl(input), origin).map((q) => q.url) };
      case 'PurgeQueue':
        store.purgeQueue(queueUrl(input));
        return {};
      case 'SendMessage': {
        const sent = store.sendMessage(queueUrl(input), {
          body: requiredString(input, 'MessageBody'),
          delaySeconds: optionalInteger(input, 'DelaySeconds'),
          messageAttributes: messageAttributes(input, 'MessageAttributes'),
          messageSystemAttributes: messageAttributes(input, 'MessageSystemAttributes'),
          senderId: sender,
        });
        return withoutUndefined({
          MessageId: sent.messageId,
          MD5OfMessageBody: sent.md5OfMessageBody,
          MD5OfMessageAttributes: sent.md5OfMessageAttributes,
          MD5OfMessageSystemAttributes: sent.md5OfMessageSystemAttributes,
        });
      }
      case 'SendMessageBatch': {
        const url = queueUrl(input);
        store.getQueue(url);
        const entries = batchEntries(input);
        const total = entries.reduce((sum, e) => sum + Buffer.byteLength(String(e.MessageBody ?? '')), 0);
        const limit = Number(store.getQueueAttributes(url, ['MaximumMessageSize']).MaximumMessageSize);
        if (total > limit) {
          throw new AwsServiceError(
            'BatchRequestTooLong',
            `Batch requests cannot be longer than ${limit} bytes. You have sent ${total} bytes.`,
          );
        }
        return batch(entries, (entry) => {
          const sent = store.sendMessage(url, {
            body: requiredString(entry, 'MessageBody'),
            delaySeconds: optionalInteger(entry, 'DelaySeconds'),
            messageAttributes: messageAttributes(entry, 'MessageAttributes'),
            messageSystemAttributes: messageAttributes(entry, 'MessageSystemAttributes'),
            senderId: sender,
          });
          return withoutUndefined({
            MessageId: sent.messageId,
            MD5OfMessageBody: sent.md5OfMessageBody,
            MD5OfMessageAttributes: sent.md5OfMessageAttributes,
            MD5OfMessageSystemAttributes: sent.md5OfMessageSystemAttributes,
          });
        });
      }
      case 'ReceiveMessage': {
        const messages = await store.receiveMessages(queueUrl(input), {
          maxNumberOfMessages: optionalInteger(input, 'MaxNumberOfMessages'),
          waitTimeSeconds: optionalInteger(input, 'WaitTimeSeconds'),
          visibilityTimeout: optionalInteger(input, 'VisibilityTimeout'),
        });
        const systemNames = [
          ...(optionalStringList(input, 'AttributeNames') ?? []),
          ...(optionalStringList(input, 'MessageSystemAttributeNames') ?? []),
        ];
        const attributeNames = optionalStringList(input, 'MessageAttributeNames') ?? [];
        if (messages.length === 0) return {};
        return { Messages: messages.map((m) => wireMessage(m, systemNames, attributeNames)) };
      }
      case 'DeleteMessage':
        store.deleteMessage(queueUrl(input), requiredString(input, 'ReceiptHandle'));
        return {};
      case 'DeleteMessageBatch': {
        const url = queueUrl(input);
        store.getQueue(url);
        return batch(batchEntries(input), (entry) => {
          store.deleteMessage(url, requiredString(entry, 'ReceiptHandle'));
          return {};
        });
      }
      case 'ChangeMessageVisibility':
        store.changeMessageVisibility(
          queueUrl(input),
          requiredString(input, 'ReceiptHandle'),
          requiredInteger(input, 'VisibilityTimeout'),
        );
        return {};
      case 'ChangeMessageVisibilityBatch': {
        const url = queueUrl(input);
        store.getQueue(url);
        return batch(batchEntries(input), (entry) => {
          store.changeMessageVisibility(
            url,
            requiredString(entry, 'ReceiptHandle'),
            requiredInteger(entry, 'VisibilityTimeout'),
          );
          return {};
        });
      }
      default:
        throw new AwsServiceError('InvalidAction', `The local SQS does not implement the operation ${operation}.`);
    }
  }
}

function wireMessage(message: ReceivedMessage, systemNames: string[], attributeNames: string[]): Output {
  const allSystem = systemNames.includes('All');
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.attributes)) {
    if (allSystem || systemNames.includes(name)) attributes[name] = value;
  }
  const selected: Record<string, SqsMessageAttribute> = {};
  for (const [name, value] of Object.entries(message.messageAttributes)) {
    const wanted = attributeNames.some(
      (pattern) =>
        pattern === 'All' ||
        pattern === '.*' ||
        pattern === name ||
        (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
    );
    if (wanted) selected[name] = value;
  }
  const hasAttributes = Object.keys(selected).length > 0;
  return withoutUndefined({
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    Attributes: Object.keys(attributes).length > 0 ? attributes : undefined,
    // The MD5 covers every attribute of the message, as SQS computes it at send time.
    MD5OfMessageAttributes: hasAttributes ? message.md5OfMessageAttributes : undefined,
    MessageAttributes: hasAttributes ? selected : undefined,
  });
}

/** Runs each entry of a batch, collecting per-entry successes and failures as the batch operations answer them. */
function batch(entries: Input[], run: (entry: Input) => Output): Output {
  const successful: Output[] = [];
  const failed: Output[] = [];
  for (const entry of entries) {
    const id = entry.Id as string;
    try {
      successful.push({ Id: id, ...run(entry) });
    } catch (error) {
      if (!(error instanceof AwsServiceError)) throw error;
      failed.push({ Id: id, SenderFault: error.status < 500, Code: error.code, Message: error.message });
    }
  }
  return { Successful: successful, Failed: failed };
}

function batchEntries(input: Input): Input[] {
  const entries = input.Entries;
  if (entries !== undefined && !Array.isArray(entries)) throw invalidValue('Entries', entries, 'Must be a list.');
  const list = (entries ?? []) as Input[];
  if (list.length === 0) {
    throw new AwsServiceError(
      'EmptyBatchRequest',
      'There should be at least one SendMessageBatchRequestEntry in the request.',
    );
  }
  if (list.length > MAX_BATCH) {
    throw new AwsServiceError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH}. You have sent ${list.length}.`,
    );
  }
  const ids = new Set<string>();
  for (const entry of list) {
    const id = entry?.Id;
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) {
      throw new AwsServiceError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (ids.has(id)) throw new AwsServiceError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    ids.add(id);
  }
  return list;
}

function parseBody(body: Buffer): Input {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Input;
  } catch {
    // answered below
  }
  throw new AwsServiceError('SerializationException', 'The request body is not a JSON object.');
}

function queueUrl(input: Input): string {
  return requiredString(input, 'QueueUrl');
}

function requiredString(input: Input, name: string): string {
  const value = input[name];
  if (value === undefined || value === null) {
    throw new AwsServiceError('MissingParameter', `The request must contain the parameter ${name}.`);
  }
  if (typeof value !== 'string') throw invalidValue(name, value, 'Must be a string.');
  return value;
}

function optionalString(input: Input, name: string): string | undefined {
  return input[name] === undefined || input[name] === null ? undefined : requiredString(input, name);
}

function requiredInteger(input: Input, name: string): number {
  const value = input[name];
  if (value === undefined || value === null) {
    throw new AwsServiceError('MissingParameter', `The request must contain the parameter ${name}.`);
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidValue(name, value, 'Must be an integer.');
  return value;
}

function optionalInteger(input: Input, name: string): number | undefined {
  return input[name] === undefined || input[name] === null ? undefined : requiredInteger(input, name);
}

function optionalStringList(input: Input, name: string): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw invalidValue(name, value, 'Must be a list of strings.');
  }
  return value as string[];
}

function stringMap(input: Input, name: string): Record<string, string> {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidValue(name, value, 'Must be a map.');
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) result[key] = String(entry);
  return result;
}

function messageAttributes(input: Input, name: string): Record<string, SqsMessageAttribute> {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidValue(name, value, 'Must be a map.');
  const result: Record<string, SqsMessageAttribute> = {};
  for (const [key, raw] of Object.entries(value as Record<string, Input>)) {
    if (raw?.StringListValues || raw?.BinaryListValues) {
      throw new AwsServiceError('UnsupportedOperation', `Message attribute list values are not supported (${key}).`);
    }
    result[key] = withoutUndefined({
      DataType: typeof raw?.DataType === 'string' ? raw.DataType : '',
      StringValue: typeof raw?.StringValue === 'string' ? raw.StringValue : undefined,
      BinaryValue: typeof raw?.BinaryValue === 'string' ? raw.BinaryValue : undefined,
    }) as unknown as SqsMessageAttribute;
  }
  return result;
}

function invalidValue(name: string, value: unknown, reason: string): AwsServiceError {
  return new AwsServiceError(
    'InvalidParameterValue',
    `Value ${JSON.stringify(value)} for parameter ${name} is invalid. Reason: ${reason}`,
  );
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): Output {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** The access key id of the caller, which SQS reports as the sender of a message. */
function senderId(request: EdgeRequest): string {
  return /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? request.accountId;
}

function json(status: number, body: Output, headers: Record<string, string> = {}): EdgeResponse {
  return { status, headers: { 'content-type': 'application/x-amz-json-1.0', ...headers }, body: JSON.stringify(body) };
}

function errorResponse(error: unknown): EdgeResponse {
  if (!(error instanceof AwsServiceError)) {
    const message = error instanceof Error ? error.message : String(error);
    return json(
      500,
      { __type: 'com.amazonaws.sqs#InternalError', message },
      { 'x-amzn-query-error': 'InternalError;Receiver' },
    );
  }
  const [queryCode, status] = ERRORS[error.code] ?? [error.code, error.status];
  const fault = status >= 500 ? 'Receiver' : 'Sender';
  return json(
    status,
    { __type: `com.amazonaws.sqs#${error.code}`, message: error.message },
    { 'x-amzn-query-error': `${queryCode};${fault}` },
  );
}
