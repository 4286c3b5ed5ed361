import { join } from 'node:path';
import { AwsServiceError, DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../../edge/aws-service';
import { JsonSnapshotFile } from '../../persistence/json-snapshot-file';
import { MalformedPolicyError, type ParsedPolicy, parsePolicyDocument } from './policy-evaluator';

/** An AWS IoT policy as GetPolicy describes it (dates in seconds). */
export interface IotPolicy {
  policyName: string;
  policyArn: string;
  policyDocument: string;
  defaultVersionId: string;
  creationDate: number;
  lastModifiedDate: number;
  generationId: string;
}

interface Saved {
  policies: IotPolicy[];
  /** The policies attached to each target (certificate ARN, Cognito identity, thing group ARN), in order. */
  targets: Record<string, string[]>;
}

const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
/** AWS IoT's quota of policies attached to one certificate or identity. */
export const MAX_POLICIES_PER_TARGET = 10;

const notFound = (policyName: string) =>
  new AwsServiceError('ResourceNotFoundException', `The policy ${policyName} does not exist`, 404);

/**
 * AWS IoT policies and their attachments to principals (AttachPolicy); kept in `<dataDir>/iot-policies.json` when a
 * data folder is given. Documents are checked on creation as AWS does (MalformedPolicyException) and kept parsed.
 */
export class PolicyRegistry {
  private readonly policies = new Map<string, IotPolicy>();
  private readonly parsed = new Map<string, ParsedPolicy>();
  private readonly targets = new Map<string, string[]>();
  private readonly snapshot: JsonSnapshotFile | undefined;
  private readonly arnPrefix: string;
  /** Increases with every change, so decisions taken on the registry's state can tell they are stale. */
  revision = 0;

  constructor(options: { dataDir?: string; region?: string; accountId?: string } = {}) {
    this.arnPrefix = `arn:aws:iot:${options.region ?? DEFAULT_REGION}:${options.accountId ?? LOCAL_ACCOUNT_ID}:policy/`;
    if (options.dataDir) {
      this.snapshot = new JsonSnapshotFile(
        join(options.dataDir, 'iot-policies.json'),
        (): Saved => ({ policies: [...this.policies.values()], targets: Object.fromEntries(this.targets) }),
      );
      const saved = this.snapshot.load() as Saved | undefined;
      for (const policy of saved?.policies ?? []) {
        this.policies.set(policy.policyName, policy);
        this.parsed.set(policy.policyName, parsePolicyDocument(policy.policyDocument));
      }
      for (const [target, names] of Object.entries(saved?.targets ?? {})) this.targets.set(target, names);
    }
  }

  /** Resolves once every change made so far is on disk. */
  async persisted(): Promise<void> {
    await this.snapshot?.persisted();
  }

  async flush(): Promise<void> {
    await this.snapshot?.flush();
  }

  private changed(): void {
    this.revision++;
    this.snapshot?.changed();
  }

  createPolicy(policyName: string, policyDocument: unknown): IotPolicy {
    if (!POLICY_NAME.test(policyName)) {
      throw new AwsServiceError(
        'InvalidRequestException',
        `policyName must be 1 to 128 letters, digits or _+=,.@-, not ${policyName}`,
        400,
      );
    }
    if (this.policies.has(policyName)) {
      throw new AwsServiceError('ResourceAlreadyExistsException', `The policy ${policyName} already exists`, 409);
    }
    if (typeof policyDocument !== 'string') {
      throw new AwsServiceError('MalformedPolicyException', 'policyDocument must be a JSON document in a string', 400);
    }
    const parsed = this.parse(policyDocument);
    const now = Date.now() / 1000;
    const policy: IotPolicy = {
      policyName,
      policyArn: `${this.arnPrefix}${policyName}`,
      policyDocument,
      defaultVersionId: '1',
      creationDate: now,
      lastModifiedDate: now,
      generationId: `${Date.now()}`,
    };
    this.policies.set(policyName, policy);
    this.parsed.set(policyName, parsed);
    this.changed();
    return policy;
  }

  /**
   * Creates the policy, or gives it a new document, as CloudFormation does for an AWS::IoT::Policy of a stack deployed
   * again (AWS creates a new default version).
   */
  putPolicy(policyName: string, policyDocument: string): IotPolicy {
    const existing = this.policies.get(policyName);
    if (!existing) return this.createPolicy(policyName, policyDocument);
    if (existing.policyDocument === policyDocument) return existing;
    this.parsed.set(policyName, this.parse(policyDocument));
    existing.policyDocument = policyDocument;
    existing.defaultVersionId = String(Number(existing.defaultVersionId) + 1);
    existing.lastModifiedDate = Date.now() / 1000;
    this.changed();
    return existing;
  }

  private parse(policyDocument: string): ParsedPolicy {
    try {
      return parsePolicyDocument(policyDocument);
    } catch (error) {
      if (error instanceof MalformedPolicyError)
        throw new AwsServiceError('MalformedPolicyException', error.message, 400);
      throw error;
    }
  }

  getPolicy(policyName: string): IotPolicy {
    const policy = this.policies.get(policyName);
    if (!policy) throw notFound(policyName);
    return policy;
  }

  /** Refused while the policy is attached to a target, as AWS does. */
  deletePolicy(policyName: string): void {
    this.getPolicy(policyName);
    const holders = this.targetsForPolicy(policyName);
    if (holders.length > 0) {
      throw new AwsServiceError(
        'DeleteConflictException',
        `The policy ${policyName} is attached to ${holders.length} target(s); detach it first`,
        409,
      );
    }
    this.policies.delete(policyName);
    this.parsed.delete(policyName);
    this.changed();
  }

  attachPolicy(policyName: string, target: string): void {
    this.getPolicy(policyName);
    if (!target) throw new AwsServiceError('InvalidRequestException', 'target is required', 400);
    const attached = this.targets.get(target) ?? [];
    if (attached.includes(policyName)) return;
    if (attached.length >= MAX_POLICIES_PER_TARGET) {
      throw new AwsServiceError(
        'LimitExceededException',
        `At most ${MAX_POLICIES_PER_TARGET} policies can be attached to ${target}`,
        410,
      );
    }
    this.targets.set(target, [...attached, policyName]);
    this.changed();
  }

  detachPolicy(policyName: string, target: string): void {
    this.getPolicy(policyName);
    const remaining = (this.targets.get(target) ?? []).filter((name) => name !== policyName);
    if (remaining.length > 0) this.targets.set(target, remaining);
    else this.targets.delete(target);
    this.changed();
  }

  /** Detaches every policy of a target (a certificate deleted with forceDelete). */
  detachAll(target: string): void {
    if (this.targets.delete(target)) this.changed();
  }

  attachedPolicies(target: string): IotPolicy[] {
    return (this.targets.get(target) ?? []).map((name) => this.getPolicy(name));
  }

  /** The parsed documents of the target's policies, for evaluation. */
  documentsOf(target: string): ParsedPolicy[] {
    return (this.targets.get(target) ?? []).flatMap((name) => {
      const parsed = this.parsed.get(name);
      return parsed ? [parsed] : [];
    });
  }

  targetsForPolicy(policyName: string): string[] {
    return [...this.targets.entries()].filter(([, names]) => names.includes(policyName)).map(([target]) => target);
  }
}
