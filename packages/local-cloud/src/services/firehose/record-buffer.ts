/** A record inside Firehose: its id, its bytes, and when it arrived (epoch milliseconds). */
export interface FirehoseRecord {
  recordId: string;
  data: Buffer;
  arrivalTimestamp: number;
}

export interface RecordBufferOptions {
  /** Deliver once the buffered bytes reach this size. */
  maxBytes: number;
  /** Deliver this long after the first record entered an empty buffer. */
  intervalMs: number;
  /** Receives each batch; its promise is tracked so that {@link RecordBuffer.drain} can wait for it. */
  deliver(records: FirehoseRecord[]): Promise<void>;
}

/**
 * Firehose's buffering: records accumulate until the buffer reaches its size or its interval elapses, whichever comes
 * first, and are then handed on as one batch. The timer does not keep the process alive.
 */
export class RecordBuffer {
  private records: FirehoseRecord[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: RecordBufferOptions) {}

  get size(): number {
    return this.records.length;
  }

  add(record: FirehoseRecord): void {
    this.records.push(record);
    this.bytes += record.data.length;
    if (this.bytes >= this.options.maxBytes) {
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.options.intervalMs);
      this.timer.unref();
    }
  }

  /** Hands on what is buffered now, and resolves once that batch and any batch before it are handed on. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.records.length > 0) {
      const batch = this.records;
      this.records = [];
      this.bytes = 0;
      const delivery = this.options.deliver(batch).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
    await this.drain();
  }

  /** Waits for every batch handed on so far. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops the timer and forgets what is buffered. */
  discard(): FirehoseRecord[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const dropped = this.records;
    this.records = [];
    this.bytes = 0;
    return dropped;
  }
}
