import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * The URL of an SQS queue named in a function's configuration, looked up on first use and then kept, so the
 * configuration needs no account id. A failed lookup is not kept: the next call asks again.
 */
export function queueUrlOf(client: SQSClient, queueName: string): () => Promise<string> {
  let url: Promise<string> | undefined;
  return () => {
    url ??= client
      .send(new GetQueueUrlCommand({ QueueName: queueName }))
      .then((answer) => answer.QueueUrl ?? Promise.reject(new Error(`No URL for queue ${queueName}`)))
      .catch((error: unknown) => {
        url = undefined;
        throw error;
      });
    return url;
  };
}
