/**
 * What goes wrong while reading or deploying a template. Every message names the stack and, where there is one,
 * the resource or output, so a broken `serverless.yml` can be found from the message alone.
 */

/** Where in a template something was found: a resource, an output, a condition or a parameter. */
export interface TemplateLocation {
  stackName: string;
  /** e.g. `resource CommandsQueue`, `output QueueUrl`, `condition IsLocal` */
  where?: string;
}

const locate = (location: TemplateLocation) =>
  location.where ? `${location.stackName}: ${location.where}` : location.stackName;

/** The template is malformed, or uses CloudFormation in a way CloudFormation itself would reject. */
export class TemplateError extends Error {
  constructor(
    readonly location: TemplateLocation,
    message: string,
  ) {
    super(`${locate(location)}: ${message}`);
    this.name = 'TemplateError';
  }
}

/** A resource type the local cloud cannot create, used by something that needs it. */
export class UnsupportedResourceTypeError extends TemplateError {
  constructor(
    location: TemplateLocation,
    readonly resourceType: string,
    readonly logicalId: string,
    readonly dependents: string[],
  ) {
    super(
      location,
      `resource ${logicalId} has type ${resourceType}, which the local cloud does not support, ` +
        `and ${dependents.join(', ')} depend${dependents.length === 1 ? 's' : ''} on it`,
    );
    this.name = 'UnsupportedResourceTypeError';
  }
}

/** An intrinsic function (`Fn::Cidr`, `Fn::Transform` ...) the interpreter does not evaluate. */
export class UnsupportedIntrinsicError extends TemplateError {
  constructor(
    location: TemplateLocation,
    readonly intrinsic: string,
  ) {
    super(location, `uses ${intrinsic}, which the local cloud does not support`);
    this.name = 'UnsupportedIntrinsicError';
  }
}

/** Resources that depend on one another in a circle; `cycle` starts and ends with the same logical id. */
export class DependencyCycleError extends TemplateError {
  constructor(
    location: TemplateLocation,
    readonly cycle: string[],
  ) {
    super(location, `circular dependency between resources: ${cycle.join(' -> ')}`);
    this.name = 'DependencyCycleError';
  }
}

/** A supported resource type with no provider registered to create it. */
export class MissingProviderError extends TemplateError {
  constructor(
    location: TemplateLocation,
    readonly resourceType: string,
  ) {
    super(location, `no provider is registered to create ${resourceType}`);
    this.name = 'MissingProviderError';
  }
}

/** An export name another stack already exports (export names are unique in an account and region). */
export class ExportNameClashError extends TemplateError {
  constructor(
    location: TemplateLocation,
    readonly exportName: string,
    readonly ownerStack: string,
  ) {
    super(location, `export name ${exportName} is already exported by stack ${ownerStack}`);
    this.name = 'ExportNameClashError';
  }
}

/** `Fn::ImportValue` of a name no stack deployed so far exports. */
export class MissingExportError extends TemplateError {
  constructor(
    location: TemplateLocation,
    readonly exportName: string,
  ) {
    super(location, `imports ${exportName}, which no stack deployed before it exports`);
    this.name = 'MissingExportError';
  }
}

/** A provider failed to create a resource; `cause` is its error. */
export class ResourceCreationError extends TemplateError {
  constructor(
    location: TemplateLocation,
    readonly resourceType: string,
    cause: unknown,
  ) {
    super(location, `creating ${resourceType} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ResourceCreationError';
    this.cause = cause;
  }
}
