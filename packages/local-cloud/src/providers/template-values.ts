import type { ResourceToCreate } from '../cloudformation';

/**
 * Conversions from resolved CloudFormation property values to what the local services take. Templates carry numbers
 * and booleans as strings or as JSON values, and policies as objects or as JSON text; the AWS APIs want strings.
 */

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A non-empty string, else undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A number, also from the numeric strings templates may hold. */
export function number(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** A scalar as an API attribute string (`true`, `60`, ...); undefined for absent values. */
export function attributeText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A policy or other JSON document: an object is serialized, a string is kept as written. */
export function jsonText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** CloudFormation's `[{ Key, Value }]` tags as a map. */
export function tagMap(value: unknown): Record<string, string> {
  if (!Array.isArray(value)) return {};
  const tags: Record<string, string> = {};
  for (const tag of value) {
    if (isRecord(tag) && typeof tag.Key === 'string') tags[tag.Key] = String(tag.Value ?? '');
  }
  return tags;
}

/** The attributes of `names` that the properties set, as API attribute strings (policies as JSON text). */
export function attributesFrom(
  properties: Record<string, unknown>,
  names: { scalars?: readonly string[]; documents?: readonly string[] },
): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const name of names.scalars ?? []) {
    const value = attributeText(properties[name]);
    if (value !== undefined) attributes[name] = value;
  }
  for (const name of names.documents ?? []) {
    const value = jsonText(properties[name]);
    if (value !== undefined) attributes[name] = value;
  }
  return attributes;
}

/** The name to create a resource under: the one the interpreter decided (given or generated). */
export function resourceName(resource: ResourceToCreate): string {
  const name = resource.name ?? resource.expected.name;
  if (!name) throw new Error(`${resource.type} ${resource.logicalId} (stack ${resource.stackName}) has no name`);
  return name;
}

/** What a provider answers: the names and attributes the interpreter expects. */
export function asExpected(resource: ResourceToCreate) {
  return { physicalId: resource.expected.physicalId, attributes: resource.expected.attributes };
}

/** A property that must be a non-empty string; the error names the resource and the stack. */
export function requiredText(resource: ResourceToCreate, property: string): string {
  const value = text(resource.properties[property]);
  if (!value) {
    throw new Error(
      `${resource.type} ${resource.logicalId} (stack ${resource.stackName}) needs the property ${property}`,
    );
  }
  return value;
}

export { isRecord };
