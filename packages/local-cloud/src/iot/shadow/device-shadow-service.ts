import { parseShadowTopic, type ShadowTopicSuffix, shadowTopic } from '@iot/types';
import type { Flushable } from '../../contracts';
import type { IotPublisher, PublishedMessage, PublishObserver } from '../contracts';
import {
  type DeleteAcceptedDocument,
  errorDocument,
  type GetAcceptedDocument,
  type ShadowNameListDocument,
  type UpdateAcceptedDocument,
  type UpdateOutcome,
} from './shadow-document';
import { ShadowRequestError, shadowErrors } from './shadow-errors';
import { assertShadowName, assertThingName, SHADOW_LIMITS } from './shadow-limits';
import { clientTokenOf, parseClientTokenRequest, parseUpdateRequest } from './shadow-request';
import { type ListNamedShadowsOptions, type ShadowRef, ShadowStore, type ShadowStoreOptions } from './shadow-store';

/** Where the Device Shadow service reports what it could not do (a Powertools Logger, pino or `console` fit). */
export interface ShadowServiceLogger {
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

/** JSON lines on stderr, the default. */
export const stderrShadowServiceLogger: ShadowServiceLogger = {
  warn: (message, details) =>
    process.stderr.write(`${JSON.stringify({ level: 'WARN', service: 'iot-shadow', message, ...details })}\n`),
  error: (message, details) =>
    process.stderr.write(`${JSON.stringify({ level: 'ERROR', service: 'iot-shadow', message, ...details })}\n`),
};

export interface DeviceShadowServiceOptions extends ShadowStoreOptions {
  /** The store to serve; one is made from `dataDir` (and the clock) when not given. */
  store?: ShadowStore;
  /** Publishes the service's answers; may be given later with `usePublisher` (the broker is made after its observers). */
  publisher?: IotPublisher;
  logger?: ShadowServiceLogger;
}

type Operation = 'get' | 'update' | 'delete';

/** QoS of the messages the service publishes on its own (delta, documents, answers to HTTPS requests). */
const SERVICE_QOS = 1;

/**
 * The local AWS IoT Device Shadow service. Over MQTT it observes every publish the broker accepts and answers the
 * requests on `$aws/things/{thing}/shadow[/name/{shadow}]/{get,update,delete}` on their `/accepted` and `/rejected`
 * topics, with `/update/delta` and `/update/documents` after an update, through the `IotPublisher`, so the answers reach
 * subscribers and rules as in AWS. The data plane calls the same operations for HTTPS; those answer the caller and
 * publish the accepted, delta and documents messages, but never a `/rejected` one ("Device Shadow error messages").
 */
export class DeviceShadowService implements PublishObserver, Flushable {
  readonly store: ShadowStore;
  private target: IotPublisher | undefined;
  private readonly logger: ShadowServiceLogger;

  constructor(options: DeviceShadowServiceOptions = {}) {
    this.store = options.store ?? new ShadowStore(options);
    this.target = options.publisher;
    this.logger = options.logger ?? stderrShadowServiceLogger;
  }

  /** The publisher the service answers through, once there is one. */
  get publisher(): IotPublisher | undefined {
    return this.target;
  }

  /** Sets the publisher the service answers through (the broker, once it runs). */
  usePublisher(publisher: IotPublisher): void {
    this.target = publisher;
  }

  /**
   * Handles one publish: a shadow request is answered, anything else ignored (the service's own answers come back here
   * too). Resolves once the answers are published; it never rejects, a failed publish is logged.
   */
  async onPublish(message: PublishedMessage): Promise<void> {
    const parsed = parseShadowTopic(message.topic);
    if (!parsed || !isOperation(parsed.suffix)) return;
    const ref: ShadowRef = {
      thingName: parsed.thingName,
      ...(parsed.shadowName === undefined ? {} : { shadowName: parsed.shadowName }),
    };
    const operation = parsed.suffix;
    const answerQos = message.qos;
    try {
      switch (operation) {
        case 'get': {
          const document = this.store.get(ref, parseClientTokenRequest(message.payload));
          await this.publish(ref, 'get/accepted', document, answerQos);
          return;
        }
        case 'update': {
          const outcome = this.store.update(ref, parseUpdateRequest(message.payload));
          // Accepted only once it is on disk: an answered update survives a crash of the local cloud.
          await this.store.persisted();
          await this.publishUpdate(ref, outcome, answerQos);
          return;
        }
        case 'delete': {
          const document = this.store.delete(ref, parseClientTokenRequest(message.payload));
          await this.store.persisted();
          await this.publish(ref, 'delete/accepted', document, answerQos);
          return;
        }
      }
    } catch (error) {
      const refused = this.refusal(error, ref, operation);
      const document = errorDocument(refused, this.store.timestamp(), clientTokenOf(message.payload));
      await this.publish(ref, `${operation}/rejected`, document, answerQos);
    }
  }

  /** GetThingShadow: the whole document with its delta. Throws `ShadowRequestError` (404 when there is no shadow). */
  async getThingShadow(ref: ShadowRef): Promise<GetAcceptedDocument> {
    assertRef(ref);
    return this.store.get(ref);
  }

  /**
   * UpdateThingShadow: applies the request state document and publishes `/update/accepted`, `/update/delta` (when
   * desired and reported differ) and `/update/documents`, as an MQTT update would. Throws `ShadowRequestError`.
   */
  async updateThingShadow(ref: ShadowRef, payload: Uint8Array): Promise<UpdateAcceptedDocument> {
    assertRef(ref);
    if (payload.length > SHADOW_LIMITS.maxRequestBytes) throw shadowErrors.payloadTooLarge();
    const outcome = this.store.update(ref, parseUpdateRequest(payload));
    await this.store.persisted();
    await this.publishUpdate(ref, outcome, SERVICE_QOS);
    return outcome.accepted;
  }

  /** DeleteThingShadow: deletes the shadow and publishes `/delete/accepted`. Throws `ShadowRequestError`. */
  async deleteThingShadow(ref: ShadowRef): Promise<DeleteAcceptedDocument> {
    assertRef(ref);
    const document = this.store.delete(ref);
    await this.store.persisted();
    await this.publish(ref, 'delete/accepted', document, SERVICE_QOS);
    return document;
  }

  /** ListNamedShadowsForThing. Throws `ShadowRequestError` for an invalid thing name, page size or token. */
  async listNamedShadowsForThing(
    thingName: string,
    options: ListNamedShadowsOptions = {},
  ): Promise<ShadowNameListDocument> {
    assertThingName(thingName);
    return this.store.listNamedShadows(thingName, options);
  }

  flush(): Promise<void> {
    return this.store.flush();
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private async publishUpdate(ref: ShadowRef, outcome: UpdateOutcome, answerQos: 0 | 1): Promise<void> {
    await this.publish(ref, 'update/accepted', outcome.accepted, answerQos);
    if (outcome.delta) await this.publish(ref, 'update/delta', outcome.delta, SERVICE_QOS);
    await this.publish(ref, 'update/documents', outcome.documents, SERVICE_QOS);
  }

  private refusal(error: unknown, ref: ShadowRef, operation: Operation): ShadowRequestError {
    if (error instanceof ShadowRequestError) return error;
    this.logger.error('Shadow request failed', { ...ref, operation, error: String(error) });
    return shadowErrors.internalFailure();
  }

  private async publish(ref: ShadowRef, suffix: ShadowTopicSuffix, document: object, qos: 0 | 1): Promise<void> {
    const topic = shadowTopic(ref.thingName, suffix, ref.shadowName);
    const publisher = this.target;
    if (!publisher) {
      this.logger.warn('No MQTT publisher: shadow message dropped', { topic });
      return;
    }
    try {
      await publisher.publish({ topic, payload: Buffer.from(JSON.stringify(document)), qos, retain: false });
    } catch (error) {
      this.logger.error('Cannot publish shadow message', { topic, error: String(error) });
    }
  }
}

function isOperation(suffix: ShadowTopicSuffix): suffix is Operation {
  return suffix === 'get' || suffix === 'update' || suffix === 'delete';
}

function assertRef(ref: ShadowRef): void {
  assertThingName(ref.thingName);
  if (ref.shadowName !== undefined) assertShadowName(ref.shadowName);
}
