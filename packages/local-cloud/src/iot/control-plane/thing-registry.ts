import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AwsServiceError, DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../../edge/aws-service';
import { JsonSnapshotFile } from '../../persistence/json-snapshot-file';

export interface Thing {
  thingName: string;
  thingId: string;
  thingArn: string;
  thingTypeName?: string;
  attributes: Record<string, string>;
  version: number;
  billingGroupName?: string;
}

export interface ThingType {
  thingTypeName: string;
  thingTypeId: string;
  thingTypeArn: string;
  thingTypeProperties: { thingTypeDescription?: string; searchableAttributes?: string[] };
  deprecated: boolean;
  deprecationDate?: number;
  /** Seconds since the epoch. */
  creationDate: number;
}

export interface ThingGroup {
  thingGroupName: string;
  thingGroupId: string;
  thingGroupArn: string;
  version: number;
  thingGroupProperties: { thingGroupDescription?: string; attributePayload?: { attributes?: Record<string, string> } };
  parentGroupName?: string;
  creationDate: number;
  things: string[];
}

interface Saved {
  things: Thing[];
  thingTypes: ThingType[];
  thingGroups: ThingGroup[];
  /** The principals attached to each thing, by thing name. */
  thingPrincipals?: Record<string, string[]>;
}

const NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#-]{1,128}$/;
const ATTRIBUTE_VALUE = /^[a-zA-Z0-9_.,@/:#=[\]-]*$/;

const notFound = (what: string) => new AwsServiceError('ResourceNotFoundException', `${what} does not exist`, 404);
const invalid = (message: string) => new AwsServiceError('InvalidRequestException', message, 400);

function checkName(kind: string, name: string): void {
  if (!NAME.test(name)) {
    throw invalid(
      `1 validation error detected: Value '${name}' at '${kind}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9:_-]+`,
    );
  }
}

function checkAttributes(attributes: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (!ATTRIBUTE_NAME.test(name)) throw invalid(`Invalid attribute name: ${name}`);
    if (typeof value !== 'string' || value.length > 800 || !ATTRIBUTE_VALUE.test(value)) {
      throw invalid(`Invalid value for attribute ${name}`);
    }
  }
}

/**
 * The AWS IoT registry: things (with attributes, a type and attached principals), thing types and thing groups, kept
 * in `<dataDir>/iot-registry.json` when a data folder is given.
 */
export class ThingRegistry {
  private readonly things = new Map<string, Thing>();
  private readonly thingTypes = new Map<string, ThingType>();
  private readonly thingGroups = new Map<string, ThingGroup>();
  /** Principals (certificate ARNs, Cognito identities) attached to each thing, by thing name. */
  private readonly thingPrincipals = new Map<string, string[]>();
  private readonly snapshot: JsonSnapshotFile | undefined;
  private readonly region: string;
  private readonly accountId: string;
  /** Increases with every change, so decisions taken on the registry's state can tell they are stale. */
  revision = 0;

  constructor(options: { dataDir?: string; region?: string; accountId?: string } = {}) {
    this.region = options.region ?? DEFAULT_REGION;
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    if (options.dataDir) {
      this.snapshot = new JsonSnapshotFile(
        join(options.dataDir, 'iot-registry.json'),
        (): Saved => ({
          things: [...this.things.values()],
          thingTypes: [...this.thingTypes.values()],
          thingGroups: [...this.thingGroups.values()],
          thingPrincipals: Object.fromEntries(this.thingPrincipals),
        }),
      );
      const saved = this.snapshot.load() as Saved | undefined;
      for (const thing of saved?.things ?? []) this.things.set(thing.thingName, thing);
      for (const type of saved?.thingTypes ?? []) this.thingTypes.set(type.thingTypeName, type);
      for (const group of saved?.thingGroups ?? []) this.thingGroups.set(group.thingGroupName, group);
      for (const [name, principals] of Object.entries(saved?.thingPrincipals ?? {})) {
        this.thingPrincipals.set(name, principals);
      }
    }
  }

  /** Resolves once every change made so far is on disk. */
  async persisted(): Promise<void> {
    await this.snapshot?.persisted();
  }

  async flush(): Promise<void> {
    await this.snapshot?.flush();
  }

  private arn(kind: string, name: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:${kind}/${name}`;
  }

  private changed(): void {
    this.revision++;
    this.snapshot?.changed();
  }

  createThing(thingName: string, input: { thingTypeName?: string; attributes?: Record<string, string> }): Thing {
    checkName('thingName', thingName);
    const attributes = input.attributes ?? {};
    checkAttributes(attributes);
    if (input.thingTypeName) this.usableThingType(input.thingTypeName);
    const existing = this.things.get(thingName);
    if (existing) {
      const same =
        existing.thingTypeName === input.thingTypeName &&
        JSON.stringify(existing.attributes) === JSON.stringify(attributes);
      if (same) return existing;
      throw new AwsServiceError(
        'ResourceAlreadyExistsException',
        `Thing ${thingName} already exists in account with different attributes`,
        409,
      );
    }
    const thing: Thing = {
      thingName,
      thingId: randomUUID(),
      thingArn: this.arn('thing', thingName),
      ...(input.thingTypeName ? { thingTypeName: input.thingTypeName } : {}),
      attributes: { ...attributes },
      version: 1,
    };
    this.things.set(thingName, thing);
    this.changed();
    return thing;
  }

  describeThing(thingName: string): Thing {
    const thing = this.things.get(thingName);
    if (!thing) throw notFound(`Thing ${thingName}`);
    return thing;
  }

  listThings(filter: {
    attributeName?: string;
    attributeValue?: string;
    thingTypeName?: string;
    usePrefixAttributeValue?: boolean;
  }): Thing[] {
    if (filter.attributeValue !== undefined && filter.attributeName === undefined) {
      throw invalid('attributeValue requires attributeName');
    }
    return [...this.things.values()]
      .filter((t) => filter.thingTypeName === undefined || t.thingTypeName === filter.thingTypeName)
      .filter((t) => {
        if (filter.attributeName === undefined) return true;
        const value = t.attributes[filter.attributeName];
        if (value === undefined) return false;
        if (filter.attributeValue === undefined) return true;
        return filter.usePrefixAttributeValue
          ? value.startsWith(filter.attributeValue)
          : value === filter.attributeValue;
      })
      .sort((a, b) => a.thingName.localeCompare(b.thingName));
  }

  updateThing(
    thingName: string,
    input: {
      thingTypeName?: string;
      attributes?: Record<string, string>;
      merge?: boolean;
      expectedVersion?: number;
      removeThingType?: boolean;
    },
  ): void {
    const thing = this.describeThing(thingName);
    if (input.expectedVersion !== undefined && input.expectedVersion !== thing.version) {
      throw new AwsServiceError(
        'VersionConflictException',
        `The version for thing ${thingName} does not match the expected version.`,
        409,
      );
    }
    if (input.removeThingType && input.thingTypeName) {
      throw invalid('Cannot set thingTypeName and removeThingType together');
    }
    if (input.thingTypeName) this.usableThingType(input.thingTypeName);
    if (input.attributes) {
      checkAttributes(Object.fromEntries(Object.entries(input.attributes).filter(([, v]) => v !== '')));
      const merged = input.merge ? { ...thing.attributes, ...input.attributes } : { ...input.attributes };
      thing.attributes = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== ''));
    }
    if (input.thingTypeName) thing.thingTypeName = input.thingTypeName;
    if (input.removeThingType) delete thing.thingTypeName;
    thing.version++;
    this.changed();
  }

  /** Deleting a thing that does not exist succeeds, as in AWS; one with principals attached is refused. */
  deleteThing(thingName: string, expectedVersion?: number): void {
    const thing = this.things.get(thingName);
    if (!thing) return;
    if (expectedVersion !== undefined && expectedVersion !== thing.version) {
      throw new AwsServiceError('VersionConflictException', `The version for thing ${thingName} does not match`, 409);
    }
    if (this.thingPrincipals.get(thingName)?.length) {
      throw invalid(`Cannot delete thing ${thingName} as it is still attached to one or more principals`);
    }
    this.things.delete(thingName);
    for (const group of this.thingGroups.values()) group.things = group.things.filter((t) => t !== thingName);
    this.changed();
  }

  /**
   * Attaches a principal (a certificate ARN, a Cognito identity id) to a thing. The control plane checks that a
   * certificate ARN names a registered certificate before it gets here.
   */
  attachThingPrincipal(thingName: string, principal: string): void {
    this.describeThing(thingName);
    if (!principal) throw invalid('A principal is required (x-amzn-principal)');
    const attached = this.thingPrincipals.get(thingName) ?? [];
    if (!attached.includes(principal)) this.thingPrincipals.set(thingName, [...attached, principal]);
    this.changed();
  }

  /** Detaches a principal from a thing; detaching one that is not attached changes nothing. */
  detachThingPrincipal(thingName: string, principal: string): void {
    this.describeThing(thingName);
    if (!principal) throw invalid('A principal is required (x-amzn-principal)');
    const remaining = (this.thingPrincipals.get(thingName) ?? []).filter((p) => p !== principal);
    if (remaining.length > 0) this.thingPrincipals.set(thingName, remaining);
    else this.thingPrincipals.delete(thingName);
    this.changed();
  }

  /** The principals attached to a thing, in the order they were attached. */
  listThingPrincipals(thingName: string): string[] {
    this.describeThing(thingName);
    return [...(this.thingPrincipals.get(thingName) ?? [])];
  }

  /** Whether the principal is attached to the thing (false when there is no such thing). */
  isAttached(thingName: string, principal: string): boolean {
    return this.thingPrincipals.get(thingName)?.includes(principal) ?? false;
  }

  /** The thing of that name, or undefined. */
  findThing(thingName: string): Thing | undefined {
    return this.things.get(thingName);
  }

  /** The things a principal is attached to (ListPrincipalThings), by name. */
  principalThings(principal: string): string[] {
    return [...this.thingPrincipals.entries()]
      .filter(([, principals]) => principals.includes(principal))
      .map(([thingName]) => thingName)
      .sort();
  }

  private usableThingType(thingTypeName: string): ThingType {
    const type = this.thingTypes.get(thingTypeName);
    if (!type) throw notFound(`Thing type ${thingTypeName}`);
    if (type.deprecated) throw invalid(`Thing type ${thingTypeName} is deprecated`);
    return type;
  }

  createThingType(thingTypeName: string, properties: ThingType['thingTypeProperties'] = {}): ThingType {
    checkName('thingTypeName', thingTypeName);
    const existing = this.thingTypes.get(thingTypeName);
    if (existing) {
      if (JSON.stringify(existing.thingTypeProperties) === JSON.stringify(properties)) return existing;
      throw new AwsServiceError('ResourceAlreadyExistsException', `Thing type ${thingTypeName} already exists`, 409);
    }
    const type: ThingType = {
      thingTypeName,
      thingTypeId: randomUUID(),
      thingTypeArn: this.arn('thingtype', thingTypeName),
      thingTypeProperties: properties,
      deprecated: false,
      creationDate: Date.now() / 1000,
    };
    this.thingTypes.set(thingTypeName, type);
    this.changed();
    return type;
  }

  describeThingType(thingTypeName: string): ThingType {
    const type = this.thingTypes.get(thingTypeName);
    if (!type) throw notFound(`Thing type ${thingTypeName}`);
    return type;
  }

  listThingTypes(thingTypeName?: string): ThingType[] {
    return [...this.thingTypes.values()]
      .filter((t) => thingTypeName === undefined || t.thingTypeName === thingTypeName)
      .sort((a, b) => a.thingTypeName.localeCompare(b.thingTypeName));
  }

  deprecateThingType(thingTypeName: string, undo: boolean): void {
    const type = this.describeThingType(thingTypeName);
    type.deprecated = !undo;
    if (undo) delete type.deprecationDate;
    else type.deprecationDate = Date.now() / 1000;
    this.changed();
  }

  deleteThingType(thingTypeName: string): void {
    const type = this.describeThingType(thingTypeName);
    if ([...this.things.values()].some((t) => t.thingTypeName === thingTypeName)) {
      throw invalid(`Thing type ${thingTypeName} is still associated with things`);
    }
    this.thingTypes.delete(type.thingTypeName);
    this.changed();
  }

  createThingGroup(
    thingGroupName: string,
    input: { parentGroupName?: string; thingGroupProperties?: ThingGroup['thingGroupProperties'] },
  ): ThingGroup {
    checkName('thingGroupName', thingGroupName);
    if (input.parentGroupName) this.describeThingGroup(input.parentGroupName);
    const existing = this.thingGroups.get(thingGroupName);
    if (existing) return existing;
    const group: ThingGroup = {
      thingGroupName,
      thingGroupId: randomUUID(),
      thingGroupArn: this.arn('thinggroup', thingGroupName),
      version: 1,
      thingGroupProperties: input.thingGroupProperties ?? {},
      ...(input.parentGroupName ? { parentGroupName: input.parentGroupName } : {}),
      creationDate: Date.now() / 1000,
      things: [],
    };
    this.thingGroups.set(thingGroupName, group);
    this.changed();
    return group;
  }

  describeThingGroup(thingGroupName: string): ThingGroup {
    const group = this.thingGroups.get(thingGroupName);
    if (!group) throw notFound(`Thing group ${thingGroupName}`);
    return group;
  }

  listThingGroups(filter: { parentGroup?: string; namePrefixFilter?: string }): ThingGroup[] {
    return [...this.thingGroups.values()]
      .filter((g) => filter.parentGroup === undefined || g.parentGroupName === filter.parentGroup)
      .filter((g) => filter.namePrefixFilter === undefined || g.thingGroupName.startsWith(filter.namePrefixFilter))
      .sort((a, b) => a.thingGroupName.localeCompare(b.thingGroupName));
  }

  deleteThingGroup(thingGroupName: string): void {
    if (!this.thingGroups.delete(thingGroupName)) return;
    this.changed();
  }

  /** Adds (or removes) a thing to a group named by name or ARN. */
  setMembership(groupNameOrArn: string, thingNameOrArn: string, member: boolean): void {
    const group = this.describeThingGroup(groupNameOrArn.split('/').pop() as string);
    const thing = this.describeThing(thingNameOrArn.split('/').pop() as string);
    const others = group.things.filter((t) => t !== thing.thingName);
    group.things = member ? [...others, thing.thingName] : others;
    this.changed();
  }

  /** Things of a group; with `recursive`, of its child groups too. */
  thingsInGroup(thingGroupName: string, recursive: boolean): string[] {
    const group = this.describeThingGroup(thingGroupName);
    const names = new Set(group.things);
    if (recursive) {
      for (const child of this.thingGroups.values()) {
        if (child.parentGroupName === thingGroupName) {
          for (const name of this.thingsInGroup(child.thingGroupName, true)) names.add(name);
        }
      }
    }
    return [...names].sort();
  }

  groupsOfThing(thingName: string): ThingGroup[] {
    this.describeThing(thingName);
    return [...this.thingGroups.values()].filter((g) => g.things.includes(thingName));
  }
}
