import { DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../../edge/aws-service';
import type { ThingRegistry } from '../control-plane/thing-registry';
import type { CertificateRegistry } from './certificate-registry';
import { evaluatePolicies, iotResourceArns, type PolicyContext, type PolicyDecision } from './policy-evaluator';
import type { PolicyRegistry } from './policy-registry';

export type MqttAction = 'iot:Connect' | 'iot:Publish' | 'iot:Subscribe' | 'iot:Receive';

const ATTRIBUTE = /^iot:Connection\.Thing\.Attributes\[(.+)\]$/;
/** Enough for a device's own topics; a connection that names more starts its cache over. */
const MAX_CACHED_DECISIONS = 256;

/**
 * The MQTT connection of a certificate: decides its requests against the policies attached to the certificate, with
 * the thing named as its client id (when the certificate is attached to it) behind the thing policy variables.
 * Decisions are cached per connection until the certificates, policies or things change.
 */
export class DeviceSession {
  private readonly cache = new Map<string, PolicyDecision>();
  private cachedAt = -1;
  private readonly arns: ReturnType<typeof iotResourceArns>;

  constructor(
    private readonly authorizer: DeviceAuthorizer,
    readonly certificateId: string,
    readonly certificateArn: string,
    readonly clientId: string,
  ) {
    this.arns = authorizer.arns;
  }

  /** Whether the certificate is still registered and ACTIVE. */
  get active(): boolean {
    return this.authorizer.certificates.find(this.certificateId)?.status === 'ACTIVE';
  }

  canConnect(): PolicyDecision {
    return this.decide('iot:Connect', this.arns.client(this.clientId));
  }

  canPublish(topic: string): PolicyDecision {
    return this.decide('iot:Publish', this.arns.topic(topic));
  }

  canSubscribe(filter: string): PolicyDecision {
    return this.decide('iot:Subscribe', this.arns.topicFilter(filter));
  }

  canReceive(topic: string): PolicyDecision {
    return this.decide('iot:Receive', this.arns.topic(topic));
  }

  private decide(action: MqttAction, resource: string): PolicyDecision {
    const revision = this.authorizer.revision;
    if (revision !== this.cachedAt || this.cache.size >= MAX_CACHED_DECISIONS) {
      this.cache.clear();
      this.cachedAt = revision;
    }
    const key = `${action} ${resource}`;
    let decision = this.cache.get(key);
    if (decision === undefined) {
      decision = this.active
        ? evaluatePolicies(this.authorizer.policies.documentsOf(this.certificateArn), action, resource, this.context)
        : 'IMPLICIT_DENY';
      this.cache.set(key, decision);
    }
    return decision;
  }

  private readonly context: PolicyContext = (key) => {
    if (key === 'iot:ClientId') return this.clientId;
    if (!key.startsWith('iot:Connection.Thing.')) return undefined;
    const things = this.authorizer.things;
    const attached = things.isAttached(this.clientId, this.certificateArn);
    if (key === 'iot:Connection.Thing.IsAttached') return String(attached);
    if (!attached) return undefined;
    const thing = things.findThing(this.clientId);
    if (!thing) return undefined;
    if (key === 'iot:Connection.Thing.ThingName') return thing.thingName;
    if (key === 'iot:Connection.Thing.ThingTypeName') return thing.thingTypeName;
    const attribute = ATTRIBUTE.exec(key);
    return attribute ? thing.attributes[attribute[1] as string] : undefined;
  };
}

/** Opens {@link DeviceSession}s for the broker's TLS connections. */
export class DeviceAuthorizer {
  readonly arns: ReturnType<typeof iotResourceArns>;

  constructor(
    readonly certificates: CertificateRegistry,
    readonly policies: PolicyRegistry,
    readonly things: ThingRegistry,
    options: { region?: string; accountId?: string } = {},
  ) {
    this.arns = iotResourceArns(options.region ?? DEFAULT_REGION, options.accountId ?? LOCAL_ACCOUNT_ID);
  }

  /** Changes with any change of certificates, policies or things. */
  get revision(): number {
    return this.certificates.revision + this.policies.revision + this.things.revision;
  }

  /** The session of a registered certificate's connection; undefined when the certificate is not registered. */
  session(certificateId: string, clientId: string): DeviceSession | undefined {
    const certificate = this.certificates.find(certificateId);
    if (!certificate) return undefined;
    return new DeviceSession(this, certificateId, certificate.certificateArn, clientId);
  }
}
