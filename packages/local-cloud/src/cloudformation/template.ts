import { TemplateError } from './errors';

/**
 * The parts of a CloudFormation template the local cloud reads. Values under `Properties`, `Outputs` and
 * `Conditions` stay `unknown`: they are JSON holding intrinsic functions until resolved.
 */
export interface Template {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Transform?: string | string[];
  Parameters?: Record<string, TemplateParameter>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, TemplateOutput>;
}

export interface TemplateParameter {
  /** `String`, `Number`, `CommaDelimitedList`, `List<Number>`, or an AWS-specific type read as a string. */
  Type: string;
  Default?: string | number;
  AllowedValues?: Array<string | number>;
  /** A regular expression a String value must match as a whole. */
  AllowedPattern?: string;
  /** What CloudFormation says, after the parameter's name, when a constraint is not met. */
  ConstraintDescription?: string;
  MinLength?: number | string;
  MaxLength?: number | string;
  MinValue?: number | string;
  MaxValue?: number | string;
  Description?: string;
  NoEcho?: boolean | string;
}

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  /** The name of a condition; the resource exists only when it is true. */
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Record<string, unknown>;
}

export interface TemplateOutput {
  Value: unknown;
  Description?: string;
  /** The name under which other stacks import the value with `Fn::ImportValue`. */
  Export?: { Name: unknown };
  Condition?: string;
}

/** A parameter value as a caller passes it; lists for `CommaDelimitedList` and `List<...>` may be either form. */
export type ParameterValue = string | number | boolean | string[];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `DependsOn` in its list form, whichever form the template used. */
export function dependsOnList(resource: TemplateResource): string[] {
  if (resource.DependsOn === undefined) return [];
  return Array.isArray(resource.DependsOn) ? resource.DependsOn : [resource.DependsOn];
}

/**
 * How deep a template's values may nest (objects, lists, intrinsic functions). Real templates stay within a few dozen
 * levels; the deployer walks values recursively, so a deeper one is refused here, with where it is, rather than
 * exhausting the stack.
 */
export const MAX_TEMPLATE_DEPTH = 100;

/** Whether a JSON value nests deeper than `limit` levels (counted without recursion). */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Checks the shape of a parsed template (as read from `cloudformation-template-update-stack.json`) and returns it
 * typed. Only the structure is checked here; references and intrinsics are checked when the stack is planned.
 */
export function parseTemplate(json: unknown, stackName: string): Template {
  const fail = (message: string, where?: string): never => {
    throw new TemplateError({ stackName, where }, message);
  };
  if (!isRecord(json)) return fail('the template is not a JSON object');
  if (!isRecord(json.Resources)) return fail('the template has no Resources object');
  if (Object.keys(json.Resources).length === 0) fail('the template declares no resources');
  for (const [logicalId, resource] of Object.entries(json.Resources)) {
    const where = `resource ${logicalId}`;
    if (!/^[A-Za-z0-9]+$/.test(logicalId)) fail('a logical id may hold only letters and digits', where);
    if (!isRecord(resource)) fail('is not an object', where);
    const { Type, Properties, DependsOn, Condition } = resource as Record<string, unknown>;
    if (typeof Type !== 'string' || Type === '') fail('has no Type', where);
    if (Properties !== undefined && !isRecord(Properties)) fail('Properties is not an object', where);
    const dependsOnIsValid =
      DependsOn === undefined ||
      typeof DependsOn === 'string' ||
      (Array.isArray(DependsOn) && DependsOn.every((d) => typeof d === 'string'));
    if (!dependsOnIsValid) fail('DependsOn is neither a logical id nor a list of them', where);
    if (Condition !== undefined && typeof Condition !== 'string') fail('Condition is not a condition name', where);
  }
  for (const section of ['Parameters', 'Conditions', 'Outputs', 'Mappings'] as const) {
    if (json[section] !== undefined && !isRecord(json[section])) fail(`${section} is not an object`);
  }
  for (const section of ['Resources', 'Parameters', 'Conditions', 'Outputs', 'Mappings'] as const) {
    for (const [name, value] of Object.entries((json[section] ?? {}) as Record<string, unknown>)) {
      if (nestsDeeperThan(value, MAX_TEMPLATE_DEPTH)) {
        fail(`nests deeper than ${MAX_TEMPLATE_DEPTH} levels`, `${section} ${name}`);
      }
    }
  }
  for (const [name, parameter] of Object.entries((json.Parameters ?? {}) as Record<string, unknown>)) {
    if (!isRecord(parameter) || typeof parameter.Type !== 'string') fail('has no Type', `parameter ${name}`);
  }
  for (const [name, output] of Object.entries((json.Outputs ?? {}) as Record<string, unknown>)) {
    if (!isRecord(output) || !('Value' in output)) fail('has no Value', `output ${name}`);
    const exported = (output as Record<string, unknown>).Export;
    if (exported !== undefined && (!isRecord(exported) || !('Name' in exported))) {
      fail('Export has no Name', `output ${name}`);
    }
  }
  return json as unknown as Template;
}
