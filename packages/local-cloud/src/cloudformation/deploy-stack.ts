import { ExportNameClashError, MissingProviderError, ResourceCreationError, TemplateError } from './errors';
import { ExportRegistry } from './export-registry';
import type { ResourceIdentity } from './resource-types';
import { planStack, type ResourceRecord, type SkippedResource, type StackOptions, StackState } from './stack-plan';

/** A resource for a provider to create, its intrinsics resolved. */
export interface ResourceToCreate {
  logicalId: string;
  /** The CloudFormation type, e.g. `AWS::SQS::Queue`. */
  type: string;
  /** Resolved: references are physical ids and ARNs; `AWS::NoValue` is gone. */
  properties: Record<string, unknown>;
  stackName: string;
  region: string;
  accountId: string;
  /**
   * The name to create the resource under: the name property (`TableName`, `QueueName` ...) if the template gives
   * one, else CloudFormation's generated `<stack>-<logicalId>-<SUFFIX>`, the same on every run.
   */
  name?: string;
  /** The `Ref` value and attributes the interpreter expects; offline resolution gave the same. */
  expected: ResourceIdentity;
}

export interface CreatedResource {
  /** What `Ref` gives. Return `expected.physicalId` unless the service decides it (it rarely should). */
  physicalId: string;
  /** Attributes for `Fn::GetAtt`, over the expected ones. */
  attributes?: Record<string, unknown>;
}

/**
 * Creates the resources of one CloudFormation type in an emulated service.
 *
 * The local cloud deploys every stack again each time it starts, onto state it may have kept (tables, buckets,
 * queues persisted under `.local/`). So `create` must be idempotent: a resource that already exists under the
 * same name is updated to the new properties (or left as it is), never a failure and never a duplicate.
 */
export interface ResourceProvider {
  create(resource: ResourceToCreate): Promise<CreatedResource>;
}

/** Providers by CloudFormation type name. One provider may serve several types. */
export type ResourceProviders = Readonly<Record<string, ResourceProvider | undefined>>;

/** A provider that creates nothing and records the expected names: for types the local cloud need not emulate. */
export const recordOnlyProvider: ResourceProvider = {
  create: async ({ expected }) => ({ physicalId: expected.physicalId, attributes: expected.attributes }),
};

export interface DeployStackOptions extends StackOptions {
  providers: ResourceProviders;
  /** Exports of earlier stacks, read by `Fn::ImportValue`; this stack's exports are added to it. */
  exports?: ExportRegistry;
}

export interface DeployedResource extends ResourceRecord {
  /** The resolved properties it was created with. */
  properties: Record<string, unknown>;
  /** False when no provider was called (a recorded type with none registered). */
  provisioned: boolean;
}

export interface DeployedStack {
  stackName: string;
  stackId: string;
  region: string;
  /** By logical id. */
  resources: Record<string, DeployedResource>;
  /** Logical ids in the order they were created. */
  order: string[];
  skipped: SkippedResource[];
  /** Output values by output name. */
  outputs: Record<string, string>;
  /** This stack's exports by export name. */
  exports: Record<string, string>;
}

/**
 * Deploys a stack into the local cloud, the way CloudFormation would: plans it (see `planStack`), then creates each
 * resource in dependency order through the provider registered for its type, with its properties resolved against
 * the resources created before it; finally resolves the outputs and registers the exports.
 *
 * Fails before creating anything when the template is wrong or a type that must be emulated has no provider.
 */
export async function deployStack(options: DeployStackOptions): Promise<DeployedStack> {
  const exportRegistry = options.exports ?? new ExportRegistry();
  const plan = planStack({ ...options, exports: exportRegistry });
  const { stackName, logger } = plan;
  const state = new StackState(plan);

  for (const logicalId of plan.order) {
    const type = plan.template.Resources[logicalId]?.Type as string;
    if (state.typeSpec(logicalId).provisioning === 'provider' && !options.providers[type]) {
      throw new MissingProviderError({ stackName, where: `resource ${logicalId}` }, type);
    }
  }

  for (const [output, exportName] of Object.entries(state.exportNamesBeforeCreation())) {
    const owner = exportRegistry.owner(exportName);
    if (owner !== undefined && owner !== stackName) {
      throw new ExportNameClashError({ stackName, where: `output ${output}` }, exportName, owner);
    }
  }

  const resources: Record<string, DeployedResource> = {};
  for (const logicalId of plan.order) {
    const location = { stackName, where: `resource ${logicalId}` };
    const type = plan.template.Resources[logicalId]?.Type as string;
    const properties = state.resolveProperties(logicalId);
    const expected = state.identify(logicalId, properties);
    const provider = options.providers[type];
    let created: CreatedResource = expected;
    if (provider) {
      try {
        created = await provider.create({
          logicalId,
          type,
          properties,
          stackName,
          region: plan.region,
          accountId: plan.accountId,
          name: expected.name,
          expected,
        });
      } catch (error) {
        throw new ResourceCreationError(location, type, error);
      }
      if (typeof created?.physicalId !== 'string' || created.physicalId === '') {
        throw new TemplateError(location, `the provider of ${type} returned no physicalId`);
      }
    }
    const record = {
      logicalId,
      type,
      physicalId: created.physicalId,
      attributes: { ...expected.attributes, ...created.attributes },
    };
    state.record(record);
    resources[logicalId] = { ...record, properties, provisioned: provider !== undefined };
    logger.info(`${stackName}: ${provider ? 'created' : 'recorded'} ${logicalId} (${type}) ${record.physicalId}`, {
      stackName,
      logicalId,
      type,
      physicalId: record.physicalId,
    });
  }

  const { outputs, exports } = state.resolveOutputs();
  exportRegistry.replaceStackExports(stackName, exports);
  return {
    stackName,
    stackId: plan.stackId,
    region: plan.region,
    resources,
    order: plan.order,
    skipped: plan.skipped,
    outputs,
    exports,
  };
}
