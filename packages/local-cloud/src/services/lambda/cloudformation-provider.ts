import { basename, join } from 'node:path';
import type { CreatedResource, ResourceProvider, ResourceToCreate } from '../../cloudformation';
import type { LambdaRuntime } from './lambda-runtime';

/** The CloudFormation types {@link lambdaResourceProviders} creates. */
export const LAMBDA_RESOURCE_TYPES = [
  'AWS::Lambda::Function',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::Lambda::Version',
] as const;

export type LambdaResourceType = (typeof LAMBDA_RESOURCE_TYPES)[number];

/** The `Code` property of an AWS::Lambda::Function. */
export interface FunctionCodeProperty {
  S3Bucket?: string;
  S3Key?: string;
  ZipFile?: string;
}

/** Where a function's code is on this machine: a packaged zip, or a directory to run in place. */
export type LocalCode = { zipFile: string } | { codeDir: string };

export interface LambdaProviderOptions {
  /** Finds the local copy of the code a template names (`serverless package` leaves it in `.serverless/`). */
  resolveCode(code: FunctionCodeProperty, resource: ResourceToCreate): LocalCode;
}

/**
 * The code resolver for a service packaged by `serverless package`: the template's `S3Key` ends with the artifact's
 * file name (`<service>.zip`, or `<function>.zip` when packaged individually), which is in `<serviceDir>/.serverless/`.
 */
export function serverlessArtifacts(serviceDir: string): LambdaProviderOptions['resolveCode'] {
  return (code, resource) => {
    if (!code.S3Key) {
      throw new Error(
        `${resource.logicalId} (stack ${resource.stackName}) has no Code.S3Key: only packaged code runs locally`,
      );
    }
    return { zipFile: join(serviceDir, '.serverless', basename(code.S3Key)) };
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A number, also from the numeric strings templates may hold. */
function number(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  return undefined;
}

function required(resource: ResourceToCreate, property: string): string {
  const value = text(resource.properties[property]);
  if (!value) {
    throw new Error(
      `${resource.type} ${resource.logicalId} (stack ${resource.stackName}) needs the property ${property}`,
    );
  }
  return value;
}

function destination(config: unknown, which: 'OnSuccess' | 'OnFailure'): string | undefined {
  const part = (config as Record<string, { Destination?: unknown } | undefined> | undefined)?.[which];
  return text(part?.Destination);
}

/**
 * Creates a template's functions in the local Lambda with the names and ARNs the interpreter expects, and applies
 * their event invoke configs (retries, destinations) and versions (as qualifiers). Idempotent, as the runtime is:
 * a restart deploys the same definitions again and changes nothing.
 */
export function lambdaResourceProviders(
  runtime: LambdaRuntime,
  options: LambdaProviderOptions,
): Record<LambdaResourceType, ResourceProvider> {
  const expected = (resource: ResourceToCreate): CreatedResource => ({
    physicalId: resource.expected.physicalId,
    attributes: resource.expected.attributes,
  });

  return {
    'AWS::Lambda::Function': {
      create: async (resource) => {
        const p = resource.properties;
        const functionName = resource.name ?? resource.expected.physicalId;
        const arn = resource.expected.attributes.Arn;
        if (typeof arn !== 'string') throw new Error(`No expected ARN for ${resource.logicalId}`);
        const environment = (p.Environment as { Variables?: Record<string, string> } | undefined)?.Variables;
        await runtime.createFunction({
          functionName,
          arn,
          handler: required(resource, 'Handler'),
          runtime: required(resource, 'Runtime'),
          ...options.resolveCode((p.Code ?? {}) as FunctionCodeProperty, resource),
          environment,
          timeoutSeconds: number(p.Timeout),
          memorySizeMb: number(p.MemorySize),
          role: text(p.Role),
          description: text(p.Description),
          architecture: (p.Architectures as ('x86_64' | 'arm64')[] | undefined)?.[0],
          deadLetterTargetArn: text((p.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn),
          reservedConcurrency: number(p.ReservedConcurrentExecutions),
        });
        return expected(resource);
      },
    },
    'AWS::Lambda::EventInvokeConfig': {
      create: async (resource) => {
        const p = resource.properties;
        const qualifier = text(p.Qualifier) ?? '$LATEST';
        const functionName = required(resource, 'FunctionName');
        await runtime.putEventInvokeConfig(qualifier === '$LATEST' ? functionName : `${functionName}:${qualifier}`, {
          maximumRetryAttempts: number(p.MaximumRetryAttempts),
          maximumEventAgeSeconds: number(p.MaximumEventAgeInSeconds),
          onSuccessDestinationArn: destination(p.DestinationConfig, 'OnSuccess'),
          onFailureDestinationArn: destination(p.DestinationConfig, 'OnFailure'),
        });
        return expected(resource);
      },
    },
    'AWS::Lambda::Version': {
      create: async (resource) => {
        const version = resource.expected.attributes.Version;
        if (typeof version === 'string') runtime.addQualifier(required(resource, 'FunctionName'), version);
        return expected(resource);
      },
    },
  };
}
