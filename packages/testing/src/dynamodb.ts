import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseServerlessYml } from './serverless-yml';

// dynalite ships no types; this is the part of its API used here.
type DynaliteServer = import('node:http').Server;
const dynalite: (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => DynaliteServer =
  require('dynalite');

/** A real DynamoDB API (dynalite, in memory) on a free loopback port. */
export interface LocalDynamoDb {
  endpoint: string;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/** Credentials the local services accept; any value works, the SDK only needs some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';

/** Starts dynalite in memory on 127.0.0.1 and a DynamoDB client pointed at it. */
export async function startLocalDynamoDb(): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  return {
    endpoint,
    client,
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Creates, under `tableName`, the table that a service's serverless.yml declares as resource `logicalId`, with the
 * keys, attribute definitions and indexes written there, so tests run against the shape that is deployed.
 */
export async function createTableFromServerlessYml(
  client: DynamoDBClient,
  serviceDir: string,
  logicalId: string,
  tableName: string,
): Promise<void> {
  const config = parseServerlessYml(readFileSync(join(serviceDir, 'serverless.yml'), 'utf8'));
  const resource = config.resources?.Resources?.[logicalId];
  if (resource?.Type !== 'AWS::DynamoDB::Table') {
    throw new Error(`${serviceDir}/serverless.yml declares no AWS::DynamoDB::Table named ${logicalId}`);
  }
  const props = resource.Properties as unknown as CreateTableCommandInput;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: props.KeySchema,
      AttributeDefinitions: props.AttributeDefinitions,
      GlobalSecondaryIndexes: props.GlobalSecondaryIndexes,
      LocalSecondaryIndexes: props.LocalSecondaryIndexes,
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
