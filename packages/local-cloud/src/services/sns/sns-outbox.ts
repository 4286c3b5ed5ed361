import { readFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The protocols whose deliveries leave the machine in AWS (mail, SMS, mobile push); locally they are recorded. */
export type OutboxProtocol = 'email' | 'email-json' | 'sms' | 'application';

/** One message SNS would have sent by email, SMS or mobile push. */
export interface OutboxEntry {
  type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  protocol: OutboxProtocol;
  /** The address, phone number or platform endpoint ARN. */
  endpoint: string;
  messageId: string;
  timestamp: string;
  topicArn?: string;
  subscriptionArn?: string;
  subject?: string;
  /** The text sent: the message, or for email-json the JSON envelope. */
  message: string;
  messageAttributes?: Record<string, { Type: string; Value: string }>;
  /** For confirmations: the link that confirms the subscription. */
  subscribeUrl?: string;
}

/**
 * The record of messages for the outside world: in memory (the latest `limit`) and, with a file, appended as JSON
 * lines so they can be read after the process ends (`tail -f .local/sns-outbox.jsonl`).
 */
export class SnsOutbox {
  private readonly entries: OutboxEntry[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly file?: string,
    private readonly limit = 1000,
  ) {
    if (!file) return;
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        this.keep(JSON.parse(line) as OutboxEntry);
      } catch {
        // A line cut short by a crash: the others are still good.
      }
    }
  }

  record(entry: OutboxEntry): void {
    this.keep(entry);
    const file = this.file;
    if (!file) return;
    this.writing = this.writing
      .then(async () => {
        await mkdir(dirname(file), { recursive: true });
        await appendFile(file, `${JSON.stringify(entry)}\n`);
      })
      .catch((error: unknown) => {
        console.error(JSON.stringify({ level: 'ERROR', message: `Cannot append to ${file}`, error: String(error) }));
      });
  }

  /** The entries kept, oldest first, optionally only those matching every field of `filter`. */
  list(filter: Partial<Pick<OutboxEntry, 'protocol' | 'endpoint' | 'topicArn' | 'type'>> = {}): OutboxEntry[] {
    return this.entries.filter((entry) =>
      Object.entries(filter).every(([key, value]) => entry[key as keyof OutboxEntry] === value),
    );
  }

  /** Waits for pending appends. */
  flush(): Promise<void> {
    return this.writing;
  }

  private keep(entry: OutboxEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }
}
