import { randomUUID } from 'node:crypto';
import { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';

/** Topic aliases a client may use (AWS IoT Core allows 8). */
export const TOPIC_ALIAS_MAXIMUM = 8;

/** What AWS IoT Core announces in CONNACK to MQTT 5 clients. */
const CONNACK_PROPERTIES = {
  maximumQoS: 1,
  retainAvailable: true,
  topicAliasMaximum: TOPIC_ALIAS_MAXIMUM,
  wildcardSubscriptionAvailable: true,
  subscriptionIdentifiersAvailable: false,
  sharedSubscriptionAvailable: false,
  maximumPacketSize: 149_504,
};

/** MQTT 3.1.1 CONNACK return codes as MQTT 5 reason codes. */
const CONNACK_REASON: Record<number, number> = { 0: 0x00, 1: 0x84, 2: 0x85, 3: 0x88, 4: 0x86, 5: 0x87, 6: 0x89 };

const DISCONNECT_WITH_WILL = 0x04;
const TOPIC_ALIAS_INVALID = 0x94;
const PROTOCOL_ERROR = 0x82;

type Packet = mqttPacket.Packet & { messageId?: number };

/**
 * The protocol level of a CONNECT packet at the start of `bytes`: 3, 4 or 5; 0 when the bytes are not a CONNECT;
 * undefined while too few bytes have arrived to tell.
 */
export function connectProtocolLevel(bytes: Buffer): number | undefined {
  if (bytes.length < 1) return undefined;
  if ((bytes[0] as number) >> 4 !== 1) return 0;
  let position = 1;
  for (let i = 0; i < 4; i++, position++) {
    if (position >= bytes.length) return undefined;
    if (((bytes[position] as number) & 0x80) === 0) break;
  }
  position++;
  if (position + 2 > bytes.length) return undefined;
  const nameLength = bytes.readUInt16BE(position);
  const levelAt = position + 2 + nameLength;
  return levelAt < bytes.length ? (bytes[levelAt] as number) : undefined;
}

/**
 * Lets an MQTT 5 client use a broker that speaks MQTT 3.1.1: the client's packets are read as MQTT 5 and written to
 * the broker side as 3.1.1, and the broker's answers go back as MQTT 5 with reason codes and the CONNACK properties
 * AWS IoT Core sends (maximum QoS 1, 8 topic aliases, no shared subscriptions or subscription identifiers).
 * Topic aliases are resolved here. Message properties (user properties, content type, response topic, correlation
 * data, message expiry) are not carried to subscribers.
 */
export class Mqtt5Bridge {
  /** The broker's side of the connection: give it to `aedes.handle`. */
  readonly inner: Duplex;
  private readonly fromClient = mqttPacket.parser({ protocolVersion: 5 });
  private readonly fromBroker = mqttPacket.parser({ protocolVersion: 4 });
  private readonly aliases = new Map<number, string>();
  private readonly unsubscribeCounts = new Map<number, number>();
  private assignedClientId: string | undefined;
  private closed = false;

  constructor(private readonly outer: Duplex) {
    this.inner = new Duplex({
      read: () => {
        if (!this.closed) outer.resume();
      },
      write: (chunk: Buffer, _encoding, done) => {
        this.fromBroker.parse(chunk);
        done();
      },
      final: (done) => {
        outer.end();
        done();
      },
      destroy: (error, done) => {
        this.closed = true;
        outer.destroy();
        done(error);
      },
    });
    outer.on('data', (chunk: Buffer) => this.fromClient.parse(chunk));
    outer.once('end', () => this.inner.push(null));
    outer.once('close', () => this.inner.destroy());
    outer.on('error', (error) => this.inner.destroy(error));
    this.fromClient.on('packet', (packet) => this.onClientPacket(packet as Packet));
    this.fromClient.on('error', () => this.disconnect(PROTOCOL_ERROR));
    this.fromBroker.on('packet', (packet) => this.onBrokerPacket(packet as Packet));
    this.fromBroker.on('error', (error: Error) => this.inner.destroy(error));
  }

  /** Feeds bytes already read from the client (the CONNECT read to tell the protocol level). */
  feed(bytes: Buffer): void {
    this.fromClient.parse(bytes);
  }

  private toBroker(packet: Record<string, unknown>): void {
    if (this.closed) return;
    const bytes = mqttPacket.generate(packet as unknown as mqttPacket.Packet, { protocolVersion: 4 });
    if (!this.inner.push(bytes)) this.outer.pause();
  }

  private toClient(packet: Record<string, unknown>): void {
    if (this.closed || this.outer.destroyed) return;
    this.outer.write(mqttPacket.generate(packet as unknown as mqttPacket.Packet, { protocolVersion: 5 }));
  }

  private disconnect(reasonCode: number): void {
    this.toClient({ cmd: 'disconnect', reasonCode });
    this.outer.end();
    this.inner.destroy();
  }

  private onClientPacket(packet: Packet): void {
    switch (packet.cmd) {
      case 'connect': {
        const p = packet as mqttPacket.IConnectPacket;
        const expiry = p.properties?.sessionExpiryInterval ?? 0;
        let clientId = p.clientId;
        if (!clientId) {
          clientId = `aws-iot-${randomUUID()}`;
          this.assignedClientId = clientId;
        }
        if (p.properties?.authenticationMethod) {
          this.toClient({ cmd: 'connack', sessionPresent: false, reasonCode: 0x8c });
          this.outer.end();
          return;
        }
        this.toBroker({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          // MQTT 5 keeps a session only while its expiry interval runs; an interval of 0 ends it with the connection.
          clean: p.clean || expiry === 0,
          clientId,
          keepalive: p.keepalive,
          ...(p.username !== undefined ? { username: p.username } : {}),
          ...(p.password !== undefined ? { password: p.password } : {}),
          ...(p.will
            ? { will: { topic: p.will.topic, payload: p.will.payload, qos: p.will.qos, retain: p.will.retain } }
            : {}),
        });
        return;
      }
      case 'publish': {
        const p = packet as mqttPacket.IPublishPacket;
        let topic = p.topic;
        const alias = p.properties?.topicAlias;
        if (alias !== undefined) {
          if (alias === 0 || alias > TOPIC_ALIAS_MAXIMUM) {
            this.disconnect(TOPIC_ALIAS_INVALID);
            return;
          }
          if (topic) this.aliases.set(alias, topic);
          else topic = this.aliases.get(alias) ?? '';
          if (!topic) {
            this.disconnect(PROTOCOL_ERROR);
            return;
          }
        }
        this.toBroker({
          cmd: 'publish',
          topic,
          payload: p.payload,
          qos: p.qos,
          retain: p.retain,
          dup: p.dup,
          ...(p.qos > 0 ? { messageId: p.messageId } : {}),
        });
        return;
      }
      case 'subscribe': {
        const p = packet as mqttPacket.ISubscribePacket;
        this.toBroker({
          cmd: 'subscribe',
          messageId: p.messageId,
          subscriptions: p.subscriptions.map((s) => ({ topic: s.topic, qos: s.qos })),
        });
        return;
      }
      case 'unsubscribe': {
        const p = packet as mqttPacket.IUnsubscribePacket;
        this.unsubscribeCounts.set(p.messageId as number, p.unsubscriptions.length);
        this.toBroker({ cmd: 'unsubscribe', messageId: p.messageId, unsubscriptions: p.unsubscriptions });
        return;
      }
      case 'disconnect': {
        // "Disconnect with Will Message": end the connection without DISCONNECT, so the broker publishes the will.
        if ((packet as mqttPacket.IDisconnectPacket).reasonCode === DISCONNECT_WITH_WILL) {
          this.outer.destroy();
          return;
        }
        this.toBroker({ cmd: 'disconnect' });
        return;
      }
      case 'auth':
        this.disconnect(PROTOCOL_ERROR);
        return;
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        this.toBroker({ cmd: packet.cmd, messageId: packet.messageId });
        return;
      default:
        this.toBroker({ cmd: packet.cmd });
    }
  }

  private onBrokerPacket(packet: Packet): void {
    switch (packet.cmd) {
      case 'connack': {
        const p = packet as mqttPacket.IConnackPacket;
        const reasonCode = CONNACK_REASON[p.returnCode ?? 0] ?? 0x80;
        this.toClient({
          cmd: 'connack',
          sessionPresent: p.sessionPresent,
          reasonCode,
          ...(reasonCode === 0
            ? {
                properties: {
                  ...CONNACK_PROPERTIES,
                  ...(this.assignedClientId ? { assignedClientIdentifier: this.assignedClientId } : {}),
                },
              }
            : {}),
        });
        return;
      }
      case 'publish': {
        const p = packet as mqttPacket.IPublishPacket;
        this.toClient({
          cmd: 'publish',
          topic: p.topic,
          payload: p.payload,
          qos: p.qos,
          retain: p.retain,
          dup: p.dup,
          ...(p.qos > 0 ? { messageId: p.messageId } : {}),
        });
        return;
      }
      case 'unsuback': {
        const count = this.unsubscribeCounts.get(packet.messageId as number) ?? 1;
        this.unsubscribeCounts.delete(packet.messageId as number);
        this.toClient({ cmd: 'unsuback', messageId: packet.messageId, granted: new Array(count).fill(0) });
        return;
      }
      case 'suback':
        this.toClient({
          cmd: 'suback',
          messageId: packet.messageId,
          granted: (packet as mqttPacket.ISubackPacket).granted,
        });
        return;
      case 'puback':
        this.toClient({ cmd: 'puback', messageId: packet.messageId, reasonCode: 0 });
        return;
      default:
        this.toClient({ cmd: packet.cmd, ...(packet.messageId !== undefined ? { messageId: packet.messageId } : {}) });
    }
  }
}
