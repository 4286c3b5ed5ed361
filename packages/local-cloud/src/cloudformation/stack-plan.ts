import { DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../edge/aws-service';
import { cloudFormationStackId, DEFAULT_ENDPOINT_URL, DEFAULT_PARTITION, DEFAULT_URL_SUFFIX } from './arns';
import { ConditionEvaluator } from './conditions';
import { creationOrder } from './dependency-graph';
import {
  MissingExportError,
  TemplateError,
  type TemplateLocation,
  UnsupportedIntrinsicError,
  UnsupportedResourceTypeError,
} from './errors';
import { type ExportLookup, lookupExport } from './export-registry';
import { collectReferences, NO_VALUE, type References, type ResolutionContext, resolveValue } from './intrinsics';
import { stableUuid } from './physical-ids';
import { type IdentityContext, RESOURCE_TYPES, type ResourceIdentity, type ResourceTypeSpec } from './resource-types';
import { dependsOnList, type ParameterValue, parseTemplate, type Template } from './template';

/** Where deployment progress and skipped resources are reported; fits Powertools' Logger and console. */
export interface CloudFormationLogger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

/** Warnings to the console, progress nowhere. */
export const consoleWarningLogger: CloudFormationLogger = {
  info: () => {},
  warn: (message, details) => console.warn(message, details ?? ''),
};

export interface StackOptions {
  stackName: string;
  /** The parsed template JSON; its shape is checked. */
  template: Template | unknown;
  /** Values of the template's `Parameters`; those not given take their `Default`. */
  parameters?: Readonly<Record<string, ParameterValue>>;
  /** Defaults to us-east-1. */
  region?: string;
  /** Defaults to the local account, 000000000000. */
  accountId?: string;
  /** The local edge endpoint queue URLs point at; defaults to http://localhost:4566. */
  endpointUrl?: string;
  /** What `Fn::ImportValue` reads: the exports of stacks deployed before this one. */
  exports?: ExportLookup;
  logger?: CloudFormationLogger;
}

/** A resource the interpreter does not create, and why. */
export interface SkippedResource {
  logicalId: string;
  type: string;
  reason: string;
}

/** What planning a stack decided: the resources to create, in order, and those left out. */
export interface StackPlan {
  stackName: string;
  stackId: string;
  region: string;
  accountId: string;
  partition: string;
  urlSuffix: string;
  endpointUrl: string;
  template: Template;
  /** Logical ids in creation order: each after everything it refers to or `DependsOn`. */
  order: string[];
  /** The resources each one waits for. */
  dependencies: ReadonlyMap<string, readonly string[]>;
  skipped: SkippedResource[];
  /** Parameter values as `Ref` gives them: strings, or lists of strings. */
  parameters: ReadonlyMap<string, string | string[]>;
  conditions: ReadonlyMap<string, boolean>;
  /** Output names whose condition holds. */
  outputs: string[];
  exports?: ExportLookup;
  logger: CloudFormationLogger;
}

const PSEUDO_PARAMETERS = [
  'AWS::AccountId',
  'AWS::Region',
  'AWS::Partition',
  'AWS::StackName',
  'AWS::StackId',
  'AWS::URLSuffix',
  'AWS::NotificationARNs',
  'AWS::NoValue',
];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads a template and decides what to create, in which order, before anything is created: parameters, conditions,
 * references (`Ref`, `Fn::GetAtt`, `Fn::Sub`) and `DependsOn`, unsupported types and intrinsics. Everything wrong
 * with the template that can be known without creating resources is a `TemplateError` from here.
 */
export function planStack(options: StackOptions): StackPlan {
  const { stackName } = options;
  const template = parseTemplate(options.template, stackName);
  const at = (where?: string): TemplateLocation => ({ stackName, where });
  if (template.Transform !== undefined) {
    throw new TemplateError(at(), `Transform ${[template.Transform].flat().join(', ')} is not supported`);
  }
  const region = options.region ?? DEFAULT_REGION;
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const resources = template.Resources;
  const parameters = resolveParameters(template, options.parameters ?? {}, stackName);
  for (const name of parameters.keys()) {
    if (Object.hasOwn(resources, name)) throw new TemplateError(at(), `${name} is both a parameter and a resource`);
  }

  const conditionContext = (location: TemplateLocation): ResolutionContext => ({
    location,
    region,
    ref: (name) => {
      const value = parameters.get(name) ?? pseudoParameter(name, { stackName, region, accountId });
      if (value === undefined)
        throw new TemplateError(location, `a condition can refer only to parameters, not ${name}`);
      return value;
    },
    getAtt: (logicalId) => {
      throw new TemplateError(location, `a condition cannot read attributes of resource ${logicalId}`);
    },
    condition: () => {
      throw new TemplateError(location, 'Fn::If cannot be used in a condition');
    },
    importValue: () => {
      throw new TemplateError(location, 'Fn::ImportValue cannot be used in a condition');
    },
    findInMap: (...keys) => findInMap(template, keys, location),
  });
  const evaluator = new ConditionEvaluator(template.Conditions ?? {}, stackName, conditionContext);
  const conditions = new Map(evaluator.names.map((name) => [name, evaluator.evaluate(name)]));
  const holds = (location: TemplateLocation) => (name: string) => evaluator.evaluate(name, location);

  const skipped: SkippedResource[] = [];
  const active = new Set<string>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Condition === undefined || evaluator.evaluate(resource.Condition, at(`resource ${logicalId}`))) {
      active.add(logicalId);
    } else {
      skipped.push({ logicalId, type: resource.Type, reason: `condition ${resource.Condition} is false` });
    }
  }

  // What each resource and output needs, checking that every name it refers to exists.
  const needsOf = (references: References, dependsOn: string[], location: TemplateLocation): string[] => {
    const needs = new Set<string>();
    const need = (name: string, how: string) => {
      if (!Object.hasOwn(resources, name)) {
        throw new TemplateError(location, `${how} ${name}, which is not a resource of the template`);
      }
      const condition = resources[name]?.Condition;
      if (!active.has(name)) {
        throw new TemplateError(
          location,
          `${how} ${name}, which is not created because condition ${condition} is false`,
        );
      }
      needs.add(name);
    };
    for (const name of references.refs) {
      if (name.startsWith('AWS::')) {
        if (!PSEUDO_PARAMETERS.includes(name))
          throw new TemplateError(location, `refers to ${name}, an unknown pseudo parameter`);
      } else if (!parameters.has(name)) {
        need(name, 'refers to');
      }
    }
    for (const name of references.attributeOf) need(name, 'reads an attribute of');
    for (const name of dependsOn) need(name, 'depends on');
    return [...needs];
  };

  const dependencies = new Map<string, string[]>();
  const unsupported = new Map<string, { type?: string; intrinsic?: string }>();
  for (const logicalId of active) {
    const resource = resources[logicalId] as Template['Resources'][string];
    const location = at(`resource ${logicalId}`);
    const references = collectReferences(resource.Properties ?? {}, holds(location), location);
    dependencies.set(logicalId, needsOf(references, dependsOnList(resource), location));
    if (!Object.hasOwn(RESOURCE_TYPES, resource.Type)) unsupported.set(logicalId, { type: resource.Type });
    else if (references.unsupported.size > 0) {
      unsupported.set(logicalId, { intrinsic: [...references.unsupported].join(', ') });
    }
  }

  const outputs: string[] = [];
  const neededByOutputs = new Map<string, string[]>();
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    const location = at(`output ${name}`);
    if (output.Condition !== undefined && !evaluator.evaluate(output.Condition, location)) continue;
    outputs.push(name);
    const references = collectReferences([output.Value, output.Export?.Name], holds(location), location);
    if (references.unsupported.size > 0)
      throw new UnsupportedIntrinsicError(location, [...references.unsupported].join(', '));
    for (const logicalId of needsOf(references, [], location)) {
      neededByOutputs.set(logicalId, [...(neededByOutputs.get(logicalId) ?? []), `output ${name}`]);
    }
  }

  // An unsupported resource is left out when nothing left in needs it; otherwise the deployment cannot go on.
  const dependentsOf = (logicalId: string) => [
    ...[...dependencies].filter(([, needs]) => needs.includes(logicalId)).map(([dependent]) => dependent),
    ...(neededByOutputs.get(logicalId) ?? []),
  ];
  const leftOut = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const logicalId of unsupported.keys()) {
      if (!leftOut.has(logicalId) && dependentsOf(logicalId).every((dependent) => leftOut.has(dependent))) {
        leftOut.add(logicalId);
        changed = true;
      }
    }
  }
  for (const [logicalId, why] of unsupported) {
    const dependents = dependentsOf(logicalId).filter((dependent) => !leftOut.has(dependent));
    if (dependents.length > 0) {
      if (why.type) throw new UnsupportedResourceTypeError(at(), why.type, logicalId, dependents);
      throw new UnsupportedIntrinsicError(
        at(`resource ${logicalId} (needed by ${dependents.join(', ')})`),
        why.intrinsic as string,
      );
    }
  }
  const logger = options.logger ?? consoleWarningLogger;
  for (const logicalId of [...unsupported.keys()].filter((id) => leftOut.has(id))) {
    const why = unsupported.get(logicalId);
    const type = resources[logicalId]?.Type as string;
    const reason = why?.type
      ? `type ${type} is not supported and nothing depends on it`
      : `it uses ${why?.intrinsic}, which is not supported, and nothing depends on it`;
    skipped.push({ logicalId, type, reason });
    logger.warn(`${stackName}: skipping resource ${logicalId}: ${reason}`, { stackName, logicalId, type });
    dependencies.delete(logicalId);
  }

  return {
    stackName,
    stackId: cloudFormationStackId(stackName, stableUuid(`stack:${stackName}`), { region, accountId }),
    region,
    accountId,
    partition: DEFAULT_PARTITION,
    urlSuffix: DEFAULT_URL_SUFFIX,
    endpointUrl: options.endpointUrl ?? DEFAULT_ENDPOINT_URL,
    template,
    order: creationOrder(dependencies, at()),
    dependencies,
    skipped,
    parameters,
    conditions,
    outputs,
    exports: options.exports,
    logger,
  };
}

function pseudoParameter(
  name: string,
  stack: { stackName: string; region: string; accountId: string; stackId?: string },
): string | string[] | undefined {
  switch (name) {
    case 'AWS::AccountId':
      return stack.accountId;
    case 'AWS::Region':
      return stack.region;
    case 'AWS::Partition':
      return DEFAULT_PARTITION;
    case 'AWS::StackName':
      return stack.stackName;
    case 'AWS::StackId':
      return (
        stack.stackId ??
        cloudFormationStackId(stack.stackName, stableUuid(`stack:${stack.stackName}`), {
          region: stack.region,
          accountId: stack.accountId,
        })
      );
    case 'AWS::URLSuffix':
      return DEFAULT_URL_SUFFIX;
    case 'AWS::NotificationARNs':
      return [];
    default:
      return undefined;
  }
}

function findInMap(template: Template, [map, top, second]: [string, string, string], location: TemplateLocation) {
  const value = template.Mappings?.[map]?.[top]?.[second];
  if (value === undefined) throw new TemplateError(location, `Fn::FindInMap finds nothing at ${map}.${top}.${second}`);
  return value;
}

/** Each declared parameter's value as `Ref` gives it, checked against its type and allowed values. */
function resolveParameters(
  template: Template,
  given: Readonly<Record<string, ParameterValue>>,
  stackName: string,
): Map<string, string | string[]> {
  const declared = template.Parameters ?? {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) {
      throw new TemplateError({ stackName }, `parameter ${name} is given but the template does not declare it`);
    }
  }
  const values = new Map<string, string | string[]>();
  for (const [name, parameter] of Object.entries(declared)) {
    const location = { stackName, where: `parameter ${name}` };
    const fail = (message: string): never => {
      throw new TemplateError(location, message);
    };
    const raw = Object.hasOwn(given, name) ? given[name] : parameter.Default;
    if (raw === undefined) fail('has no value and no Default');
    const { Type: type } = parameter;
    if (type.startsWith('AWS::SSM::Parameter')) fail(`has type ${type}: SSM parameters are not supported`);
    const isList = type === 'CommaDelimitedList' || type.startsWith('List<');
    const text = (item: unknown) => String(item).trim();
    const value = isList
      ? (Array.isArray(raw) ? raw : String(raw).split(',')).map(text)
      : Array.isArray(raw)
        ? raw.join(',')
        : String(raw);
    const items = [value].flat();
    if (
      (type === 'Number' || type === 'List<Number>') &&
      items.some((item) => item === '' || Number.isNaN(Number(item)))
    ) {
      fail(`must be a number, not ${JSON.stringify(value)}`);
    }
    const allowed = parameter.AllowedValues?.map(String);
    const notAllowed = allowed ? items.find((item) => !allowed.includes(item)) : undefined;
    if (notAllowed !== undefined) fail(`${notAllowed} is not one of ${allowed?.join(', ')}`);
    checkConstraints(parameter, items, fail);
    values.set(name, value);
  }
  return values;
}

/**
 * AllowedPattern, MinLength and MaxLength (strings) and MinValue and MaxValue (numbers), checked on each item as
 * CloudFormation does; a ConstraintDescription replaces the generic message.
 */
function checkConstraints(
  parameter: NonNullable<Template['Parameters']>[string],
  items: string[],
  fail: (message: string) => never,
): void {
  const explain = (generic: string) => fail(parameter.ConstraintDescription ?? generic);
  const numeric = parameter.Type === 'Number' || parameter.Type === 'List<Number>';
  for (const item of items) {
    if (
      !numeric &&
      parameter.AllowedPattern !== undefined &&
      !new RegExp(`^(?:${parameter.AllowedPattern})$`).test(item)
    ) {
      explain(`${JSON.stringify(item)} does not match the pattern ${parameter.AllowedPattern}`);
    }
    if (!numeric && parameter.MinLength !== undefined && item.length < Number(parameter.MinLength)) {
      explain(`must be at least ${parameter.MinLength} characters long`);
    }
    if (!numeric && parameter.MaxLength !== undefined && item.length > Number(parameter.MaxLength)) {
      explain(`must be at most ${parameter.MaxLength} characters long`);
    }
    if (numeric && parameter.MinValue !== undefined && Number(item) < Number(parameter.MinValue)) {
      explain(`must be at least ${parameter.MinValue}`);
    }
    if (numeric && parameter.MaxValue !== undefined && Number(item) > Number(parameter.MaxValue)) {
      explain(`must be at most ${parameter.MaxValue}`);
    }
  }
}

/** A resource as created (or recorded): what `Ref` and `Fn::GetAtt` give from now on. */
export interface ResourceRecord {
  logicalId: string;
  type: string;
  physicalId: string;
  attributes: Record<string, unknown>;
}

/**
 * A stack part-way through deployment: resolves the properties of the next resource from those created before
 * it, records what was created, and finally resolves the outputs.
 */
export class StackState {
  private readonly records = new Map<string, ResourceRecord>();
  private readonly sequences = new Map<string, number>();

  constructor(readonly plan: StackPlan) {}

  get created(): ReadonlyMap<string, ResourceRecord> {
    return this.records;
  }

  typeSpec(logicalId: string): ResourceTypeSpec {
    return RESOURCE_TYPES[this.resource(logicalId).Type] as ResourceTypeSpec;
  }

  /** The resource's properties with every intrinsic resolved and `AWS::NoValue` removed. */
  resolveProperties(logicalId: string): Record<string, unknown> {
    const resolved = resolveValue(this.resource(logicalId).Properties ?? {}, this.context(`resource ${logicalId}`));
    return isRecord(resolved) ? resolved : {};
  }

  /** The names the interpreter expects the resource to have, from its resolved properties. */
  identify(logicalId: string, properties: Record<string, unknown>): ResourceIdentity {
    const { plan } = this;
    const context: IdentityContext = {
      stackName: plan.stackName,
      logicalId,
      properties,
      region: plan.region,
      accountId: plan.accountId,
      partition: plan.partition,
      urlSuffix: plan.urlSuffix,
      endpointUrl: plan.endpointUrl,
      sequence: (key) => {
        const next = (this.sequences.get(key) ?? 0) + 1;
        this.sequences.set(key, next);
        return next;
      },
    };
    return this.typeSpec(logicalId).identify(context);
  }

  record(record: ResourceRecord): void {
    this.records.set(record.logicalId, record);
  }

  /** Output values (as strings, lists joined with commas) and the exports among them, by export name. */
  resolveOutputs(): { outputs: Record<string, string>; exports: Record<string, string> } {
    const outputs: Record<string, string> = {};
    const exports: Record<string, string> = {};
    const exportedBy = new Map<string, string>();
    for (const name of this.plan.outputs) {
      const output = this.plan.template.Outputs?.[name];
      if (!output) continue;
      const where = `output ${name}`;
      const location = { stackName: this.plan.stackName, where };
      const context = this.context(where);
      outputs[name] = outputText(resolveValue(output.Value, context), location);
      if (output.Export === undefined) continue;
      const exportName = resolveValue(output.Export.Name, context);
      if (typeof exportName !== 'string' || exportName === '') {
        throw new TemplateError(location, 'the export name must resolve to a non-empty string');
      }
      const other = exportedBy.get(exportName);
      if (other) throw new TemplateError(location, `export name ${exportName} is also exported by output ${other}`);
      exportedBy.set(exportName, name);
      exports[exportName] = outputs[name];
    }
    return { outputs, exports };
  }

  /**
   * The export names that can be known before any resource exists (those naming only parameters and pseudo
   * parameters, as most do), by output name, so a clash with another stack fails before anything is created.
   */
  exportNamesBeforeCreation(): Record<string, string> {
    const names: Record<string, string> = {};
    for (const name of this.plan.outputs) {
      const exported = this.plan.template.Outputs?.[name]?.Export;
      if (exported === undefined) continue;
      const where = `output ${name}`;
      const location = { stackName: this.plan.stackName, where };
      const { refs, attributeOf } = collectReferences(
        exported.Name,
        (condition) => this.plan.conditions.get(condition) ?? false,
        location,
      );
      const needsResource = [...refs].some((ref) => Object.hasOwn(this.plan.template.Resources, ref));
      if (needsResource || attributeOf.size > 0) continue;
      const exportName = resolveValue(exported.Name, this.context(where));
      if (typeof exportName === 'string') names[name] = exportName;
    }
    return names;
  }

  private resource(logicalId: string) {
    const resource = this.plan.template.Resources[logicalId];
    if (!resource) throw new TemplateError({ stackName: this.plan.stackName }, `there is no resource ${logicalId}`);
    return resource;
  }

  private context(where: string): ResolutionContext {
    const { plan } = this;
    const location = { stackName: plan.stackName, where };
    const created = (logicalId: string) => {
      const record = this.records.get(logicalId);
      if (!record) throw new TemplateError(location, `needs ${logicalId}, which has not been created`);
      return record;
    };
    return {
      location,
      region: plan.region,
      ref: (name) => {
        const pseudo = name.startsWith('AWS::') ? pseudoParameter(name, plan) : undefined;
        if (pseudo !== undefined) return pseudo;
        if (name.startsWith('AWS::'))
          throw new TemplateError(location, `refers to ${name}, an unknown pseudo parameter`);
        const parameter = plan.parameters.get(name);
        return parameter !== undefined ? parameter : created(name).physicalId;
      },
      getAtt: (logicalId, attribute) => {
        const record = created(logicalId);
        if (!Object.hasOwn(record.attributes, attribute)) {
          const known = Object.keys(record.attributes);
          throw new TemplateError(
            location,
            `reads attribute ${attribute} of ${logicalId} (${record.type}), which has ${known.length ? `only ${known.join(', ')}` : 'no attributes'}`,
          );
        }
        return record.attributes[attribute];
      },
      condition: (name) => {
        const value = plan.conditions.get(name);
        if (value === undefined)
          throw new TemplateError(location, `refers to condition ${name}, which is not declared`);
        return value;
      },
      importValue: (name) => {
        const value = lookupExport(plan.exports, name);
        if (value === undefined) throw new MissingExportError(location, name);
        return value;
      },
      findInMap: (...keys) => findInMap(plan.template, keys, location),
    };
  }
}

function outputText(value: unknown, location: TemplateLocation): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(',');
  if (value === NO_VALUE) throw new TemplateError(location, 'the value cannot be AWS::NoValue');
  throw new TemplateError(location, 'the value must resolve to a string or a list of strings');
}
