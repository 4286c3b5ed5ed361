// Creates, on a local DynamoDB endpoint, the tables that the packaged CloudFormation template declares, with their
// resolved names, keys and indexes: what `serverless deploy` would create, for `serverless invoke local` to use.
//
//   node scripts/create-local-tables.mjs [endpoint]     (default: $AWS_ENDPOINT_URL, else http://127.0.0.1:4567)
//
// Run `serverless package --stage local ...` first: the template is read from .serverless/.
import { readFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';

const endpoint = process.argv[2] ?? process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4567';
const templatePath = new URL('../.serverless/cloudformation-template-update-stack.json', import.meta.url);
const template = JSON.parse(readFileSync(templatePath, 'utf8'));
const client = new DynamoDBClient({
  endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

for (const [logicalId, resource] of Object.entries(template.Resources)) {
  if (resource.Type !== 'AWS::DynamoDB::Table') continue;
  const { TableName, KeySchema, AttributeDefinitions, GlobalSecondaryIndexes, LocalSecondaryIndexes } =
    resource.Properties;
  try {
    await client.send(
      new CreateTableCommand({
        TableName,
        KeySchema,
        AttributeDefinitions,
        GlobalSecondaryIndexes,
        LocalSecondaryIndexes,
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    console.log(`${logicalId}: created ${TableName} on ${endpoint}`);
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    console.log(`${logicalId}: ${TableName} already exists on ${endpoint}`);
  }
}
