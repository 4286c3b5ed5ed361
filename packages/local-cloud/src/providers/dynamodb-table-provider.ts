import type { CloudFormationLogger, ResourceProvider } from '../cloudformation';
import { AwsServiceError } from '../edge/aws-service';
import { asExpected, isRecord, resourceName, text } from './template-values';

/** What the table provider needs of the local DynamoDB (`DynamoDbService`). */
export interface TableService {
  request<T>(operation: string, input: unknown): Promise<T>;
  setTimeToLive(tableName: string, spec: { AttributeName: string; Enabled: boolean }): void;
}

interface KeySchemaElement {
  AttributeName: string;
  KeyType: string;
}

interface SecondaryIndex {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection: unknown;
  ProvisionedThroughput?: unknown;
}

/** CreateTable's input, as far as the local DynamoDB takes it. */
export interface CreateTableInput {
  TableName: string;
  AttributeDefinitions: unknown[];
  KeySchema: KeySchemaElement[];
  BillingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  ProvisionedThroughput?: { ReadCapacityUnits: number; WriteCapacityUnits: number };
  GlobalSecondaryIndexes?: SecondaryIndex[];
  LocalSecondaryIndexes?: SecondaryIndex[];
}

interface TableDescription {
  KeySchema: KeySchemaElement[];
  GlobalSecondaryIndexes?: { IndexName: string }[];
}

/** Properties of AWS::DynamoDB::Table that change what clients see and that the local DynamoDB does not emulate. */
const NOT_EMULATED = ['StreamSpecification', 'KinesisStreamSpecification', 'ImportSourceSpecification'];

const throughput = (value: unknown) => {
  if (!isRecord(value)) return undefined;
  return { ReadCapacityUnits: Number(value.ReadCapacityUnits), WriteCapacityUnits: Number(value.WriteCapacityUnits) };
};

/**
 * The CreateTable input for an AWS::DynamoDB::Table created under `tableName`. Settings the local DynamoDB has no use
 * for (point-in-time recovery, encryption, table class, contributor insights, deletion protection, tags) are left out.
 */
export function createTableInput(tableName: string, properties: Record<string, unknown>): CreateTableInput {
  const billingMode = properties.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED';
  const provisioned = billingMode === 'PROVISIONED';
  const index = (value: unknown, withThroughput: boolean): SecondaryIndex => {
    const spec = value as SecondaryIndex;
    const result: SecondaryIndex = {
      IndexName: spec.IndexName,
      KeySchema: spec.KeySchema,
      Projection: spec.Projection,
    };
    const indexThroughput = throughput(spec.ProvisionedThroughput);
    if (withThroughput && indexThroughput) result.ProvisionedThroughput = indexThroughput;
    return result;
  };
  const input: CreateTableInput = {
    TableName: tableName,
    AttributeDefinitions: (properties.AttributeDefinitions as unknown[]) ?? [],
    KeySchema: (properties.KeySchema as KeySchemaElement[]) ?? [],
    BillingMode: billingMode,
  };
  if (provisioned) {
    input.ProvisionedThroughput = throughput(properties.ProvisionedThroughput) ?? {
      ReadCapacityUnits: 5,
      WriteCapacityUnits: 5,
    };
  }
  const globals = properties.GlobalSecondaryIndexes;
  if (Array.isArray(globals) && globals.length > 0) {
    input.GlobalSecondaryIndexes = globals.map((g) => {
      const converted = index(g, provisioned);
      if (provisioned && !converted.ProvisionedThroughput) {
        converted.ProvisionedThroughput = { ReadCapacityUnits: 5, WriteCapacityUnits: 5 };
      }
      return converted;
    });
  }
  const locals = properties.LocalSecondaryIndexes;
  if (Array.isArray(locals) && locals.length > 0) input.LocalSecondaryIndexes = locals.map((l) => index(l, false));
  return input;
}

const sameKeys = (a: KeySchemaElement[], b: KeySchemaElement[]) =>
  JSON.stringify(a.map((k) => [k.AttributeName, k.KeyType])) ===
  JSON.stringify(b.map((k) => [k.AttributeName, k.KeyType]));

/**
 * AWS::DynamoDB::Table: creates the table in the local DynamoDB, or, when it exists (a restart over a kept data
 * folder), keeps it and its items, adding the global secondary indexes it lacks. A table whose key schema changed
 * is an error, as CloudFormation cannot replace a table with a custom name either. The time to live setting is
 * applied every time.
 */
export function dynamoDbTableProvider(dynamodb: TableService, logger?: CloudFormationLogger): ResourceProvider {
  return {
    create: async (resource) => {
      const tableName = resourceName(resource);
      const input = createTableInput(tableName, resource.properties);
      const existing = await dynamodb
        .request<{ Table: TableDescription }>('DescribeTable', { TableName: tableName })
        .then((answer) => answer.Table)
        .catch((error: unknown) => {
          if (error instanceof AwsServiceError && error.code === 'ResourceNotFoundException') return undefined;
          throw error;
        });
      if (!existing) {
        await dynamodb.request('CreateTable', input);
      } else if (!sameKeys(existing.KeySchema, input.KeySchema)) {
        throw new Error(
          `Table ${tableName} exists with another key schema; CloudFormation cannot replace a named table either. ` +
            'Delete the table (or start with --reset) to create it again.',
        );
      } else {
        const known = new Set((existing.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName));
        const missing = (input.GlobalSecondaryIndexes ?? []).filter((g) => !known.has(g.IndexName));
        for (const created of missing) {
          await dynamodb.request('UpdateTable', {
            TableName: tableName,
            AttributeDefinitions: input.AttributeDefinitions,
            GlobalSecondaryIndexUpdates: [{ Create: created }],
          });
        }
      }
      const ttl = resource.properties.TimeToLiveSpecification;
      if (isRecord(ttl) && text(ttl.AttributeName)) {
        dynamodb.setTimeToLive(tableName, {
          AttributeName: ttl.AttributeName as string,
          Enabled: ttl.Enabled === true || ttl.Enabled === 'true',
        });
      }
      for (const property of NOT_EMULATED.filter((p) => resource.properties[p] !== undefined)) {
        logger?.warn(`${resource.stackName}: ${resource.logicalId}: ${property} is not emulated by the local cloud`, {
          stackName: resource.stackName,
          logicalId: resource.logicalId,
        });
      }
      return asExpected(resource);
    },
  };
}
