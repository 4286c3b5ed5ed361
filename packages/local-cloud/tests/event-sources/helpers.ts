import type { InvokeResult, LambdaInvoker, QueueSender } from '../../src/contracts';

/** A function run in-process: it records each event it gets and answers with what the handler returns or throws. */
export function recordingFunction<Event = Record<string, unknown>>(handler: (event: Event) => unknown = () => null) {
  const events: Event[] = [];
  const invoker: LambdaInvoker = {
    async invoke(_functionName, event): Promise<InvokeResult> {
      // A copy, as a function in its own worker would get.
      const copy = structuredClone(event) as Event;
      events.push(copy);
      try {
        return { ok: true, payload: await handler(copy) };
      } catch (error) {
        const { name, message } = error as Error;
        return { ok: false, functionError: 'Unhandled', error: { errorType: name, errorMessage: message } };
      }
    },
  };
  return { invoker, events };
}

/** A queue that keeps what it is sent. */
export function collectingQueue() {
  const messages: { queueArn: string; body: string }[] = [];
  const sender: QueueSender = {
    async sendToQueue(queueArn, body) {
      messages.push({ queueArn, body });
    },
  };
  return { sender, messages };
}

export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
