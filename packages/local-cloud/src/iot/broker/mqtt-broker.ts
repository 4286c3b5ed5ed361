import { createHash, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import { Aedes, type AedesPublishPacket, type Client, type Subscription } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { Flushable } from '../../contracts';
import type { IotPublisher, PublishedMessage, PublishObserver } from '../contracts';
import { certificateIdOf } from '../identity/certificate-authority';
import type { DeviceAuthorizer, DeviceSession } from '../identity/device-authorizer';
import { BrokerState, type BrokerStateStore } from './broker-state';
import {
  type DisconnectReason,
  hasLifecycleEvents,
  presenceTopic,
  type SubscriptionEvent,
  subscriptionTopic,
} from './lifecycle-events';
import { connectProtocolLevel, Mqtt5Bridge } from './mqtt5-bridge';
import {
  checkClientId,
  checkDevicePublish,
  checkDeviceSubscribe,
  checkPayloadSize,
  checkServicePublish,
  type PolicyViolation,
} from './topic-policy';

/** Where the broker reports what goes wrong (a Powertools Logger, pino or `console` fit). */
export interface BrokerLogger {
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

export interface MqttBrokerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Plain MQTT over TCP, for development: default 1883, 0 for any free port, `false` for none. */
  port?: number | false;
  /**
   * MQTT over TLS with client certificates, as AWS IoT Core serves it: a connection needs a certificate signed by the
   * CA and registered ACTIVE, and each CONNECT, PUBLISH, SUBSCRIBE and delivery is decided by the certificate's
   * policies. What is not allowed closes the connection (a delivery not allowed is dropped).
   */
  tls?: MqttTlsOptions;
  /**
   * MQTT over WebSocket on a port of its own (default 8083, path `/mqtt` as AWS IoT uses); `false` for none. The
   * same path can also be served on another HTTP server with {@link MqttBroker.attachWebSocket}.
   */
  websocket?: { port?: number; path?: string } | false;
  /** A folder of its own where retained messages and persistent sessions are kept across restarts. */
  dataDir?: string;
  logger?: BrokerLogger;
}

export interface MqttTlsOptions {
  /** Default 8883, 0 for any free port. */
  port?: number;
  /** The server's certificate and key (PEM). */
  certificatePem: string;
  privateKeyPem: string;
  /** The CA that signs device certificates (PEM). */
  caCertificatePem: string;
  authorizer: DeviceAuthorizer;
}

/** A retained message, as GetRetainedMessage describes it. */
export interface RetainedMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  lastModifiedTime: number;
}

/** What the broker knows of one connection. */
interface Connection {
  clientId: string;
  sessionIdentifier: string;
  principal: string;
  ipAddress: string;
  versionNumber: number;
  connected: boolean;
  /** Set when the broker decided why the connection ends. */
  reason?: DisconnectReason;
  /** The policies of the certificate a TLS connection authenticated with; none on the development listeners. */
  session?: DeviceSession;
}

/** Fields the broker adds to a packet it publishes itself. */
interface ServicePacket extends Partial<AedesPublishPacket> {
  iot?: { clientId?: string; principal?: string; receivedAt: number };
}

/** Minimal view of aedes' in-memory persistence used here. */
interface Persistence {
  createRetainedStreamCombi(patterns: string[]): NodeJS.ReadableStream;
  createRetainedStream(pattern: string): AsyncIterable<AedesPublishPacket>;
  storeRetained(packet: AedesPublishPacket): Promise<void>;
  addSubscriptions(client: { id: string }, subs: Subscription[]): Promise<void>;
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<void>;
  cleanSubscriptions(client: { id: string }): Promise<void>;
  subscriptionsByClient(client: { id: string }): Promise<Subscription[]>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: AedesPublishPacket): Promise<void>;
  outgoingEnqueue(sub: { clientId: string }, packet: AedesPublishPacket): Promise<void>;
  outgoingStream(client: { id: string }): AsyncIterable<AedesPublishPacket>;
}

const SYS_PREFIX = '$SYS/';
const BASIC_INGEST_PREFIX = '$aws/rules/';
const LOST_CONNECTION_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE']);

function ipOf(address: string | undefined): string {
  if (!address) return '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/**
 * On the development listeners (plain TCP, WebSocket) there is no certificate: the principal is the MQTT user name,
 * or a certificate-id-like hash of the client id. Over TLS it is the client certificate's id.
 */
function principalOf(clientId: string, username: string | undefined): string {
  return username || createHash('sha256').update(clientId).digest('hex');
}

/**
 * AWS IoT has no QoS 2: a QoS 2 subscription is granted QoS 1. aedes takes the granted QoS from the SUBSCRIBE packet
 * before any hook runs, so the packet is changed as it is parsed.
 */
function grantAtMostQos1(client: Client): void {
  const parser = (client as unknown as { _parser?: NodeJS.EventEmitter })._parser;
  parser?.prependListener('packet', (packet: { cmd: string; subscriptions?: { qos: number }[] }) => {
    if (packet.cmd !== 'subscribe' || !packet.subscriptions) return;
    for (const subscription of packet.subscriptions) if (subscription.qos > 1) subscription.qos = 1;
  });
}

class ViolationError extends Error {
  constructor(readonly violation: PolicyViolation) {
    super(violation.message);
  }
}

/**
 * The AWS IoT Core message broker, in-process: aedes behind AWS's rules. MQTT 3.1.1 and 5 over TCP and WebSocket;
 * QoS 0 and 1 (a QoS 2 subscription is granted QoS 1, a QoS 2 publish ends the connection); retained messages
 * (delivered on subscribe only to a filter naming the topic exactly, as AWS does); persistent sessions; last will;
 * the protocol quotas and reserved topics; lifecycle events; Basic Ingest (`$aws/rules/<rule>/...` reaches the
 * observers, never a subscriber). Every accepted publish, from a device or a service, is handed to the
 * {@link PublishObserver}s: the rules engine and the Device Shadow service.
 */
export class MqttBroker implements IotPublisher, Flushable {
  private readonly observers = new Set<PublishObserver>();
  private readonly connections = new WeakMap<Client, Connection>();
  private readonly versionNumbers = new Map<string, number>();
  private readonly persistentSessionIds = new Map<string, string>();
  private readonly remoteAddresses = new WeakMap<object, string>();
  /** The certificate id of each TLS connection's client certificate, by the stream handed to aedes. */
  private readonly certificateIds = new WeakMap<object, string>();
  private readonly sockets = new Set<Duplex>();
  private readonly webSocketServers: WebSocketServer[] = [];
  private tcpServer: Server | undefined;
  private tlsServer: TlsServer | undefined;
  private tlsPort: number | undefined;
  private wsHttpServer: HttpServer | undefined;
  private closing = false;
  private persistence!: Persistence;
  private state: BrokerState | undefined;
  private readonly logger: BrokerLogger;
  private tcpPort = 0;
  private wsPort: number | undefined;
  private wsPath = '/mqtt';

  private constructor(
    private readonly aedes: Aedes,
    private readonly options: MqttBrokerOptions,
  ) {
    this.logger = options.logger ?? console;
  }

  /** Starts the broker and its listeners, restoring retained messages and sessions kept in `dataDir`. */
  static async start(options: MqttBrokerOptions = {}): Promise<MqttBroker> {
    const aedes = await Aedes.createBroker({ heartbeatInterval: 3_600_000, drainTimeout: 30_000 });
    const broker = new MqttBroker(aedes, options);
    await broker.setUp();
    return broker;
  }

  /** The host the listeners are bound to. */
  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  /** The plain MQTT port (0 when there is no plain listener). */
  get port(): number {
    return this.tcpPort;
  }

  /** `mqtts://host:port`, when the broker serves MQTT over TLS. */
  get tlsUrl(): string | undefined {
    return this.tlsPort === undefined ? undefined : `mqtts://${this.host}:${this.tlsPort}`;
  }

  /** The MQTT over TLS port, when the broker serves it. */
  get securePort(): number | undefined {
    return this.tlsPort;
  }

  /** `mqtt://host:port` */
  get url(): string {
    return `mqtt://${this.host}:${this.tcpPort}`;
  }

  /** `ws://host:port/mqtt`, when the broker has a WebSocket port of its own. */
  get webSocketUrl(): string | undefined {
    return this.wsPort === undefined ? undefined : `ws://${this.host}:${this.wsPort}${this.wsPath}`;
  }

  /** Adds an observer of every accepted publish; returns a function that removes it. */
  addObserver(observer: PublishObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** {@link IotPublisher}: publishes as a trusted service (any reserved topic, but AWS's quotas apply). */
  async publish(message: Omit<PublishedMessage, 'receivedAt'> & { receivedAt?: number }): Promise<void> {
    const payload = Buffer.isBuffer(message.payload) ? message.payload : Buffer.from(message.payload);
    const violation = checkServicePublish(message.topic, payload.length, message.retain);
    if (violation) throw new Error(violation.message);
    await this.publishInternal({
      cmd: 'publish',
      topic: message.topic,
      payload,
      qos: message.qos,
      retain: message.retain,
      dup: false,
      iot: { clientId: message.clientId, principal: message.principal, receivedAt: message.receivedAt ?? Date.now() },
    });
  }

  /** The retained message of a topic, as the data plane's GetRetainedMessage gives it. */
  async getRetainedMessage(topic: string): Promise<RetainedMessage | undefined> {
    for await (const packet of this.persistence.createRetainedStream(topic)) {
      if (packet.topic === topic) return this.toRetained(packet);
    }
    return undefined;
  }

  /** Every retained message, in topic order. */
  async listRetainedMessages(): Promise<RetainedMessage[]> {
    const all: RetainedMessage[] = [];
    for await (const packet of this.persistence.createRetainedStream('#')) all.push(this.toRetained(packet));
    return all.sort((a, b) => a.topic.localeCompare(b.topic));
  }

  /** The ids of the connected clients. */
  connectedClientIds(): string[] {
    return Object.keys((this.aedes as unknown as { clients: Record<string, Client> }).clients);
  }

  /** Disconnects a client as the DeleteConnection API does (API_INITIATED_DISCONNECT, the will is sent). */
  disconnectClient(clientId: string): boolean {
    const client = (this.aedes as unknown as { clients: Record<string, Client> }).clients[clientId];
    if (!client) return false;
    const connection = this.connections.get(client);
    if (connection) connection.reason = 'API_INITIATED_DISCONNECT';
    client.conn.destroy();
    return true;
  }

  /**
   * Serves MQTT over WebSocket on an HTTP server that is already listening (e.g. the edge endpoint), on `path`.
   * Clients must offer the `mqtt` subprotocol, as AWS requires.
   */
  attachWebSocket(server: HttpServer, path = '/mqtt'): void {
    const wss = new WebSocketServer({
      server,
      path,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
    });
    wss.on('connection', (socket, request) => {
      const stream = createWebSocketStream(socket);
      this.handleConnection(stream, request.socket.remoteAddress, request);
    });
    this.webSocketServers.push(wss);
  }

  /** Writes retained messages and persistent sessions out to `dataDir`. */
  async flush(): Promise<void> {
    await this.state?.flush();
  }

  /** Disconnects every client (SERVER_INITIATED_DISCONNECT), saves state and stops listening. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.flush();
    for (const wss of this.webSocketServers) {
      for (const client of wss.clients) client.terminate();
      wss.close();
    }
    const tcp = this.tcpServer;
    const tls = this.tlsServer;
    const ws = this.wsHttpServer;
    await Promise.all([
      tcp ? new Promise<void>((resolve) => tcp.close(() => resolve())) : undefined,
      tls ? new Promise<void>((resolve) => tls.close(() => resolve())) : undefined,
      ws ? new Promise<void>((resolve) => ws.close(() => resolve())) : undefined,
      new Promise<void>((resolve) => this.aedes.close(() => resolve())),
    ]);
    for (const socket of this.sockets) socket.destroy();
  }

  private toRetained(packet: AedesPublishPacket & { iotReceivedAt?: number }): RetainedMessage {
    return {
      topic: packet.topic,
      payload: Buffer.from(packet.payload),
      qos: packet.qos === 0 ? 0 : 1,
      lastModifiedTime: packet.iotReceivedAt ?? Date.now(),
    };
  }

  private publishInternal(packet: ServicePacket): Promise<void> {
    return new Promise((resolve, reject) => {
      this.aedes.publish(packet as AedesPublishPacket, (error?: Error | null) => (error ? reject(error) : resolve()));
    });
  }

  private async setUp(): Promise<void> {
    const aedes = this.aedes;
    this.persistence = (aedes as unknown as { persistence: Persistence }).persistence;
    this.adjustPersistence();
    if (this.options.dataDir) {
      this.state = new BrokerState(this.options.dataDir, this.stateStore(), this.logger);
      await this.state.restore();
    }

    aedes.authenticate = (client, username, _password, callback) => {
      const violation = checkClientId(client.id);
      if (violation) {
        this.logger.warn('MQTT CONNECT refused', { clientId: client.id, reason: violation.message });
        return callback(Object.assign(new Error(violation.message), { returnCode: 2 }), false);
      }
      const certificateId = this.certificateIds.get(client.conn);
      let session: DeviceSession | undefined;
      if (certificateId !== undefined) {
        session = this.options.tls?.authorizer.session(certificateId, client.id);
        if (session?.canConnect() !== 'ALLOW') {
          // AWS IoT closes the connection without a CONNACK when the policies do not allow iot:Connect.
          this.logger.warn("MQTT CONNECT refused: not allowed by the certificate's policies", {
            clientId: client.id,
            certificateId,
          });
          client.conn.destroy();
          return callback(Object.assign(new Error('Not authorized'), { returnCode: 5 }), false);
        }
      }
      const existing = (aedes as unknown as { clients: Record<string, Client> }).clients[client.id];
      const existingConnection = existing ? this.connections.get(existing) : undefined;
      if (existingConnection) existingConnection.reason = 'DUPLICATE_CLIENTID';
      this.registerConnection(client, username, session);
      callback(null, true);
    };

    aedes.authorizePublish = (client, packet, callback) => {
      if (!client) return callback(null);
      const violation =
        packet.qos > 1
          ? { code: 'QOS_NOT_SUPPORTED', message: 'AWS IoT does not support QoS 2' }
          : (checkPayloadSize(packet.payload.length) ?? checkDevicePublish(packet.topic, packet.retain));
      if (violation) return callback(this.refuse(client, violation, packet.topic));
      const session = this.connections.get(client)?.session;
      if (session && session.canPublish(packet.topic) !== 'ALLOW') {
        return callback(this.unauthorized(client, 'iot:Publish', packet.topic));
      }
      (packet as ServicePacket).iot = {
        clientId: client.id,
        principal: this.connections.get(client)?.principal,
        receivedAt: Date.now(),
      };
      callback(null);
    };

    aedes.authorizeSubscribe = (client, subscription, callback) => {
      const violation = checkDeviceSubscribe(subscription.topic);
      if (violation) return callback(this.refuse(client, violation, subscription.topic), null);
      const session = this.connections.get(client)?.session;
      if (session && session.canSubscribe(subscription.topic) !== 'ALLOW') {
        return callback(this.unauthorized(client, 'iot:Subscribe', subscription.topic), null);
      }
      callback(null, subscription);
    };

    aedes.authorizeForward = (client, packet) => {
      if (packet.topic.startsWith(BASIC_INGEST_PREFIX)) return null;
      // A message the receiver's policies do not allow (iot:Receive) is not delivered; the connection stays.
      const session = client ? this.connections.get(client)?.session : undefined;
      return session && session.canReceive(packet.topic) !== 'ALLOW' ? null : packet;
    };

    aedes.published = (packet, client, callback) => {
      callback(null);
      if (packet.topic.startsWith(SYS_PREFIX)) return;
      this.notifyObservers(packet as AedesPublishPacket & ServicePacket, client);
    };

    aedes.on('clientReady', (client) => this.onConnected(client));
    aedes.on('clientDisconnect', (client) => this.onDisconnected(client));
    aedes.on('keepaliveTimeout', (client) => this.setReason(client, 'MQTT_KEEP_ALIVE_TIMEOUT'));
    aedes.on('clientError', (client, error) => {
      const code = (error as NodeJS.ErrnoException).code;
      this.setReason(client, code && LOST_CONNECTION_ERRORS.has(code) ? 'CONNECTION_LOST' : 'CLIENT_ERROR');
    });
    aedes.on('subscribe', (subscriptions, client) =>
      this.publishSubscriptionEvent(
        client,
        'subscribed',
        subscriptions.filter((s) => (s.qos as number) !== 128).map((s) => s.topic),
      ),
    );
    aedes.on('unsubscribe', (topics, client) => this.publishSubscriptionEvent(client, 'unsubscribed', topics));

    await this.listen();
  }

  /** Retained messages go only to filters that name their topic exactly, as AWS IoT does; state is saved on change. */
  private adjustPersistence(): void {
    const persistence = this.persistence;
    const retainedCombi = persistence.createRetainedStreamCombi.bind(persistence);
    persistence.createRetainedStreamCombi = (patterns) => retainedCombi(patterns.filter((p) => !/[+#]/.test(p)));
    // Write-through: aedes acknowledges (PUBACK, SUBACK) once these resolve, so what it acknowledged is on disk. (aedes
    // runs with patches/aedes@1.2.0.patch: its own order is PUBACK first, then the publish pipeline that stores.)
    const changed = () => this.state?.persisted();
    const storeRetained = persistence.storeRetained.bind(persistence);
    persistence.storeRetained = async (packet) => {
      (packet as AedesPublishPacket & { iotReceivedAt?: number }).iotReceivedAt ??= Date.now();
      await storeRetained(packet);
      await changed();
    };
    for (const name of [
      'addSubscriptions',
      'removeSubscriptions',
      'cleanSubscriptions',
      'outgoingEnqueueCombi',
      'outgoingEnqueue',
    ] as const) {
      const original = (persistence[name] as (...args: unknown[]) => Promise<void>).bind(persistence);
      (persistence as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
        await original(...args);
        if (name === 'addSubscriptions') this.state?.sessionChanged((args[0] as { id: string }).id, true);
        if (name === 'cleanSubscriptions') this.state?.sessionChanged((args[0] as { id: string }).id, false);
        // aedes calls this for every QoS 1 publish with the persistent sessions subscribed to its topic, most often
        // none: then nothing was queued, and the publish's delivery and the rules engine (aedes runs them after this
        // step) must not wait for a write of the state file, with its fsync, per message.
        if (name === 'outgoingEnqueueCombi' && (args[0] as unknown[]).length === 0) return;
        await changed();
      };
    }
  }

  private stateStore(): BrokerStateStore {
    const persistence = this.persistence;
    return {
      listRetained: async () => {
        const all: AedesPublishPacket[] = [];
        for await (const packet of persistence.createRetainedStream('#')) all.push(packet);
        return all;
      },
      storeRetained: (packet) => persistence.storeRetained(packet),
      subscriptions: (clientId) => persistence.subscriptionsByClient({ id: clientId }),
      addSubscriptions: (clientId, subs) => persistence.addSubscriptions({ id: clientId }, subs),
      queued: async (clientId) => {
        const all: AedesPublishPacket[] = [];
        for await (const packet of persistence.outgoingStream({ id: clientId })) all.push(packet);
        return all;
      },
      // A queued packet is found again by its broker id and counter when it is delivered.
      enqueue: (clientId, packet) => {
        const broker = this.aedes as unknown as { id: string; counter: number };
        broker.counter = (broker.counter ?? 0) + 1;
        return persistence.outgoingEnqueue({ clientId }, {
          ...packet,
          brokerId: broker.id,
          brokerCounter: broker.counter,
        } as AedesPublishPacket);
      },
    };
  }

  private async listen(): Promise<void> {
    const host = this.host;
    const port = this.options.port;
    if (port !== false) {
      const tcp = createTcpServer((socket) => this.handleConnection(socket, socket.remoteAddress));
      this.tcpServer = tcp;
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port ?? 1883, host, () => resolve());
      });
      this.tcpPort = (tcp.address() as AddressInfo).port;
    }
    if (this.options.tls) await this.listenTls(this.options.tls);

    const ws = this.options.websocket === undefined ? {} : this.options.websocket;
    if (ws) {
      this.wsPath = ws.path ?? '/mqtt';
      const server = createHttpServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' });
        res.end(`MQTT over WebSocket: connect to ${this.wsPath} with the mqtt subprotocol`);
      });
      this.wsHttpServer = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(ws.port ?? 8083, host, () => resolve());
      });
      this.wsPort = (server.address() as AddressInfo).port;
      this.attachWebSocket(server, this.wsPath);
    }
  }

  /**
   * The TLS listener: the handshake already refuses a client without a certificate or with one the CA did not sign;
   * a certificate that is not registered or not ACTIVE is refused here, before MQTT begins.
   */
  private async listenTls(options: MqttTlsOptions): Promise<void> {
    const server = createTlsServer(
      {
        key: options.privateKeyPem,
        cert: options.certificatePem,
        ca: [options.caCertificatePem],
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      },
      (socket: TLSSocket) => {
        const raw = socket.getPeerCertificate().raw;
        const certificateId = raw ? certificateIdOf(raw) : undefined;
        const status = certificateId ? options.authorizer.certificates.find(certificateId)?.status : undefined;
        if (!certificateId || status !== 'ACTIVE') {
          this.logger.warn('MQTT over TLS refused: the client certificate is not registered and ACTIVE', {
            certificateId,
            status: status ?? 'UNKNOWN',
          });
          socket.destroy();
          return;
        }
        this.certificateIds.set(socket, certificateId);
        this.handleConnection(socket, socket.remoteAddress);
      },
    );
    server.on('tlsClientError', () => undefined);
    this.tlsServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8883, this.host, () => resolve());
    });
    this.tlsPort = (server.address() as AddressInfo).port;
  }

  /** Reads the CONNECT's protocol level, then hands the connection to aedes (MQTT 3.1.1) or through the MQTT 5 bridge. */
  private handleConnection(stream: Duplex, remoteAddress: string | undefined, request?: IncomingMessage): void {
    this.sockets.add(stream);
    stream.once('close', () => this.sockets.delete(stream));
    stream.on('error', () => undefined);
    if (this.closing) {
      stream.destroy();
      return;
    }
    let buffered: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const level = connectProtocolLevel(buffered);
      if (level === undefined) return;
      stream.off('data', onData);
      stream.pause();
      if (level === 5) {
        const bridge = new Mqtt5Bridge(stream);
        this.remoteAddresses.set(bridge.inner, ipOf(remoteAddress));
        const certificateId = this.certificateIds.get(stream);
        if (certificateId !== undefined) this.certificateIds.set(bridge.inner, certificateId);
        grantAtMostQos1(this.aedes.handle(bridge.inner, request));
        bridge.feed(buffered);
      } else {
        this.remoteAddresses.set(stream, ipOf(remoteAddress));
        stream.unshift(buffered);
        grantAtMostQos1(this.aedes.handle(stream, request));
      }
    };
    stream.on('data', onData);
  }

  private registerConnection(client: Client, username: string | undefined, session?: DeviceSession): void {
    const clientId = client.id;
    const clean = (client as unknown as { clean: boolean }).clean;
    let sessionIdentifier = this.persistentSessionIds.get(clientId);
    if (clean || !sessionIdentifier) {
      sessionIdentifier = randomUUID().replaceAll('-', '');
      if (clean) this.persistentSessionIds.delete(clientId);
      else this.persistentSessionIds.set(clientId, sessionIdentifier);
    }
    const versionNumber = (this.versionNumbers.get(clientId) ?? -1) + 1;
    this.versionNumbers.set(clientId, versionNumber);
    this.connections.set(client, {
      clientId,
      sessionIdentifier,
      principal: session ? session.certificateId : principalOf(clientId, username),
      ipAddress: this.remoteAddresses.get(client.conn) ?? '127.0.0.1',
      versionNumber,
      connected: false,
      ...(session ? { session } : {}),
    });
  }

  /** A request the certificate's policies do not allow: AWS IoT closes the connection (AUTH_ERROR). */
  private unauthorized(client: Client, action: string, topic: string): Error {
    this.setReason(client, 'AUTH_ERROR');
    this.logger.warn('MQTT client disconnected: not allowed by its policies', { clientId: client.id, action, topic });
    return new ViolationError({ code: 'AUTHORIZATION_FAILURE', message: `${action} on ${topic} is not allowed` });
  }

  private refuse(client: Client, violation: PolicyViolation, topic: string): Error {
    this.setReason(client, 'CLIENT_ERROR');
    this.logger.warn('MQTT client disconnected: the broker refused its request', {
      clientId: client.id,
      code: violation.code,
      topic,
      reason: violation.message,
    });
    return new ViolationError(violation);
  }

  private setReason(client: Client, reason: DisconnectReason): void {
    const connection = this.connections.get(client);
    if (connection && !connection.reason) connection.reason = reason;
  }

  private notifyObservers(packet: AedesPublishPacket & ServicePacket, client: Client | null): void {
    if (this.observers.size === 0) return;
    const connection = client ? this.connections.get(client) : undefined;
    const message: PublishedMessage = {
      topic: packet.topic,
      payload: packet.payload as Buffer,
      qos: packet.qos === 0 ? 0 : 1,
      retain: packet.retain,
      clientId: packet.iot?.clientId ?? client?.id,
      principal: packet.iot?.principal ?? connection?.principal,
      receivedAt: packet.iot?.receivedAt ?? Date.now(),
    };
    for (const observer of this.observers) {
      try {
        const result = observer.onPublish(message);
        if (result)
          result.catch((error: unknown) => this.logger.error('A publish observer failed', { error: String(error) }));
      } catch (error) {
        this.logger.error('A publish observer failed', { error: String(error) });
      }
    }
  }

  private onConnected(client: Client): void {
    const connection = this.connections.get(client);
    if (!connection) return;
    connection.connected = true;
    if (!hasLifecycleEvents(connection.clientId)) return;
    this.publishEvent(presenceTopic('connected', connection.clientId), {
      clientId: connection.clientId,
      timestamp: Date.now(),
      eventType: 'connected',
      sessionIdentifier: connection.sessionIdentifier,
      principalIdentifier: connection.principal,
      ipAddress: connection.ipAddress,
      versionNumber: connection.versionNumber,
    });
  }

  private onDisconnected(client: Client): void {
    const connection = this.connections.get(client);
    if (!connection?.connected) return;
    connection.connected = false;
    const clientInitiated = (client as unknown as { _disconnected?: boolean })._disconnected === true;
    const reason: DisconnectReason =
      connection.reason ??
      (clientInitiated
        ? 'CLIENT_INITIATED_DISCONNECT'
        : this.closing
          ? 'SERVER_INITIATED_DISCONNECT'
          : 'CONNECTION_LOST');
    if (!hasLifecycleEvents(connection.clientId)) return;
    this.publishEvent(presenceTopic('disconnected', connection.clientId), {
      clientId: connection.clientId,
      timestamp: Date.now(),
      eventType: 'disconnected',
      sessionIdentifier: connection.sessionIdentifier,
      principalIdentifier: connection.principal,
      clientInitiatedDisconnect: reason === 'CLIENT_INITIATED_DISCONNECT',
      disconnectReason: reason,
      versionNumber: connection.versionNumber,
    });
  }

  private publishSubscriptionEvent(client: Client, eventType: SubscriptionEvent['eventType'], topics: string[]): void {
    const connection = this.connections.get(client);
    if (!connection || topics.length === 0 || !hasLifecycleEvents(connection.clientId)) return;
    const event: SubscriptionEvent = {
      clientId: connection.clientId,
      timestamp: Date.now(),
      eventType,
      sessionIdentifier: connection.sessionIdentifier,
      principalIdentifier: connection.principal,
      topics,
    };
    this.publishEvent(subscriptionTopic(eventType, connection.clientId), event);
  }

  private publishEvent(topic: string, event: object): void {
    if (this.aedes.closed) return;
    this.publishInternal({
      cmd: 'publish',
      topic,
      payload: Buffer.from(JSON.stringify(event)),
      qos: 1,
      retain: false,
      dup: false,
      iot: { receivedAt: Date.now() },
    }).catch((error: unknown) =>
      this.logger.error('Cannot publish a lifecycle event', { topic, error: String(error) }),
    );
  }
}
