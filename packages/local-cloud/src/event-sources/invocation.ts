import type { LambdaError, LambdaInvoker, QueueSender, TopicPublisher } from '../contracts';

export type InvocationOutcome =
  | { kind: 'success'; payload: unknown }
  | { kind: 'function-error'; functionError: 'Unhandled' | 'Handled'; error: LambdaError }
  /** The function could not be invoked (no such function, runtime down): not counted as a retry attempt. */
  | { kind: 'service-error'; error: unknown };

/** Invokes synchronously, as event source mappings do, and reads the payload as JSON when it comes as text. */
export async function invokeSynchronously(
  invoker: LambdaInvoker,
  functionName: string,
  event: unknown,
): Promise<InvocationOutcome> {
  try {
    const result = await invoker.invoke(functionName, event, 'RequestResponse');
    if (!result.ok) return { kind: 'function-error', functionError: result.functionError, error: result.error };
    return { kind: 'success', payload: parsePayload(result.payload) };
  } catch (error) {
    return { kind: 'service-error', error };
  }
}

function parsePayload(payload: unknown): unknown {
  if (typeof payload === 'string') {
    try {
      return JSON.parse(payload) as unknown;
    } catch {
      return payload;
    }
  }
  if (payload instanceof Uint8Array) return parsePayload(Buffer.from(payload).toString('utf8'));
  return payload;
}

/**
 * The item identifiers a partial batch response names (`{ batchItemFailures: [{ itemIdentifier }] }`): none for an
 * empty or null response or list, `undefined` when the response is malformed (an empty, null or unknown identifier),
 * which Lambda treats as the failure of the whole batch.
 */
export function batchItemFailures(payload: unknown, identifiers: ReadonlySet<string>): string[] | undefined {
  if (payload === null || typeof payload !== 'object') return [];
  const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return [];
  if (!Array.isArray(failures)) return undefined;
  const ids: string[] = [];
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !identifiers.has(id)) return undefined;
    ids.push(id);
  }
  return ids;
}

/** Sends on-failure documents to an SQS queue or SNS topic named by ARN. */
export class FailureDestinations {
  constructor(
    private readonly queues?: QueueSender,
    private readonly topics?: TopicPublisher,
  ) {}

  async send(destinationArn: string, document: unknown): Promise<void> {
    const body = JSON.stringify(document);
    const service = destinationArn.split(':')[2];
    if (service === 'sqs') {
      if (!this.queues) throw new Error(`No SQS service to deliver to ${destinationArn}`);
      await this.queues.sendToQueue(destinationArn, body);
    } else if (service === 'sns') {
      if (!this.topics) throw new Error(`No SNS service to deliver to ${destinationArn}`);
      await this.topics.publishToTopic(destinationArn, body);
    } else {
      throw new Error(`Unsupported on-failure destination ${destinationArn}`);
    }
  }
}
