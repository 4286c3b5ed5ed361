import { join } from 'node:path';
import type { AedesPublishPacket, Subscription } from 'aedes';
import { JsonSnapshotFile } from '../../persistence/json-snapshot-file';

/** How the broker's state is read from and put back into aedes' persistence. */
export interface BrokerStateStore {
  listRetained(): Promise<AedesPublishPacket[]>;
  storeRetained(packet: AedesPublishPacket): Promise<void>;
  subscriptions(clientId: string): Promise<Subscription[]>;
  addSubscriptions(clientId: string, subscriptions: Subscription[]): Promise<void>;
  /** Messages queued for an offline persistent session, oldest first. */
  queued(clientId: string): Promise<AedesPublishPacket[]>;
  enqueue(clientId: string, packet: AedesPublishPacket): Promise<void>;
}

interface SavedMessage {
  topic: string;
  /** Base64. */
  payload: string;
  qos: number;
  retain?: boolean;
  lastModifiedTime?: number;
}

interface SavedState {
  retained: SavedMessage[];
  sessions: { clientId: string; subscriptions: { topic: string; qos: number }[]; queued: SavedMessage[] }[];
}

const WRITE_DELAY_MS = 200;

/**
 * Retained messages and persistent sessions (subscriptions and the QoS 1 messages queued while the client is away)
 * kept in `<dataDir>/broker.json`, so they survive a restart as they survive in AWS.
 */
export class BrokerState {
  private readonly file: JsonSnapshotFile;
  private readonly sessions = new Set<string>();
  private snapshot: SavedState = { retained: [], sessions: [] };
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** The write that will start once the current one ends, shared by everyone who asks meanwhile. */
  private next: Promise<void> | undefined;

  constructor(
    dataDir: string,
    private readonly store: BrokerStateStore,
    private readonly logger: { error(message: string, ...details: unknown[]): void },
  ) {
    this.file = new JsonSnapshotFile(join(dataDir, 'broker.json'), () => this.snapshot, 0);
  }

  /** Puts the saved state back into the broker. */
  async restore(): Promise<void> {
    const saved = this.file.load() as SavedState | undefined;
    if (!saved) return;
    for (const message of saved.retained ?? []) {
      const packet = toPacket(message, true) as AedesPublishPacket & { iotReceivedAt?: number };
      await this.store.storeRetained(packet);
    }
    for (const session of saved.sessions ?? []) {
      this.sessions.add(session.clientId);
      await this.store.addSubscriptions(
        session.clientId,
        session.subscriptions.map((s) => ({ topic: s.topic, qos: s.qos }) as Subscription),
      );
      for (const message of session.queued) await this.store.enqueue(session.clientId, toPacket(message, false));
    }
    this.snapshot = saved;
  }

  /** A persistent session started (`present`) or ended. */
  sessionChanged(clientId: string, present: boolean): void {
    if (present) this.sessions.add(clientId);
    else this.sessions.delete(clientId);
  }

  /** Schedules a write of the state. */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.persisted().catch((error: unknown) =>
        this.logger.error('Cannot save the MQTT broker state', { error: String(error) }),
      );
    }, WRITE_DELAY_MS);
    this.timer.unref();
  }

  /**
   * Resolves once the state, with every change made so far, is on disk. Callers that arrive while a write is under way
   * share the next one (group commit); the broker acknowledges a retained message or a change of a persistent session
   * only after it.
   */
  persisted(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.next ??= this.writing
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.write();
      });
    return this.next;
  }

  async flush(): Promise<void> {
    await this.persisted();
  }

  private write(): Promise<void> {
    this.writing = (async () => {
      const retained = (await this.store.listRetained()).map((p) => fromPacket(p));
      const sessions: SavedState['sessions'] = [];
      for (const clientId of this.sessions) {
        const subscriptions = (await this.store.subscriptions(clientId)).map((s) => ({ topic: s.topic, qos: s.qos }));
        const queued = (await this.store.queued(clientId)).map((p) => fromPacket(p));
        if (subscriptions.length > 0 || queued.length > 0) sessions.push({ clientId, subscriptions, queued });
      }
      this.snapshot = { retained, sessions };
      await this.file.persisted();
    })();
    return this.writing;
  }
}

function fromPacket(packet: AedesPublishPacket & { iotReceivedAt?: number }): SavedMessage {
  return {
    topic: packet.topic,
    payload: Buffer.from(packet.payload).toString('base64'),
    qos: packet.qos,
    ...(packet.retain ? { retain: true } : {}),
    ...(packet.iotReceivedAt ? { lastModifiedTime: packet.iotReceivedAt } : {}),
  };
}

function toPacket(message: SavedMessage, retain: boolean): AedesPublishPacket {
  return {
    cmd: 'publish',
    topic: message.topic,
    payload: Buffer.from(message.payload, 'base64'),
    qos: message.qos === 1 ? 1 : 0,
    retain: retain || message.retain === true,
    dup: false,
    ...(message.lastModifiedTime ? { iotReceivedAt: message.lastModifiedTime } : {}),
  } as AedesPublishPacket;
}
