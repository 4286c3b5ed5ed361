import { EventSourceMappingManager, type SqsEvent } from '../../src/event-sources';
import { SqsStore } from '../../src/services/sqs';
import { recordingFunction, waitFor } from './helpers';

describe('SQS event source mappings over the local SQS', () => {
  let sqs: SqsStore;
  let manager: EventSourceMappingManager | undefined;

  beforeEach(() => {
    sqs = new SqsStore();
  });

  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    await sqs.close();
  });

  it('processes a backlog larger than one receive in batches of BatchSize', async () => {
    // Prepare
    const queue = sqs.createQueue('commands');
    for (let i = 0; i < 60; i++) await sqs.sendToQueue(queue.arn, `m${i}`);
    const fn = recordingFunction<SqsEvent>();
    manager = new EventSourceMappingManager({ invoker: fn.invoker, queues: sqs });

    // Act
    await manager.createEventSourceMapping({
      EventSourceArn: queue.arn,
      FunctionName: 'apply-command',
      BatchSize: 25,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    await waitFor(() => fn.events.flatMap((event) => event.Records).length === 60, 3000);

    // Assess
    expect(fn.events.every((event) => event.Records.length <= 25)).toBe(true);
    expect(fn.events.some((event) => event.Records.length > 10)).toBe(true);
    expect(await sqs.receive(queue.arn, 10)).toEqual([]);
  });

  it('leaves a failing message to the queue, whose redrive policy moves it to the dead-letter queue', async () => {
    // Prepare
    const dlq = sqs.createQueue('commands-dlq');
    const queue = sqs.createQueue('commands', {
      VisibilityTimeout: '0',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    const fn = recordingFunction<SqsEvent>((event) => {
      if (event.Records.some((record) => record.body === 'poison')) throw new Error('cannot apply');
      return null;
    });
    manager = new EventSourceMappingManager({ invoker: fn.invoker, queues: sqs, logger: { warn: () => undefined } });
    await manager.createEventSourceMapping({ EventSourceArn: queue.arn, FunctionName: 'apply-command', BatchSize: 1 });

    // Act
    await sqs.sendToQueue(queue.arn, 'poison');
    let deadLettered: string[] = [];
    await waitFor(() => {
      void sqs.receive(dlq.arn, 10).then((messages) => {
        deadLettered = [...deadLettered, ...messages.map((message) => message.body)];
      });
      return deadLettered.length > 0;
    });

    // Assess
    expect(deadLettered).toEqual(['poison']);
    expect(fn.events.map((event) => event.Records[0]?.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
  });
});
