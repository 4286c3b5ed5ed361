// Creates, on a local DynamoDB endpoint, the tables that the packaged CloudFormation template declares, with their
// resolved names, keys and indexes: what `serverless deploy` would create, for `serverless invoke local` to use.
//
//   node scripts/create-local-tables.mjs [endpoint]     (default: $AWS_ENDPOINT_URL, else http://127.0.0.1:4567)
//
// Run `serverless package --stage local ...` first: the template is read from .serverless/.
import { readFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient, PutItemCommand, ResourceInUseException } from '@aws-sdk/client-dynamodb';

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

// The HTTP routes check who owns a device in iot-device-config-api's devices table (param devicesTableName): create
// it in the shape that service declares, and register the fixtures' device to the fixtures' user.
const devicesTable = Object.values(template.Resources)
  .map((resource) => resource.Properties?.Environment?.Variables?.DEVICES_TABLE_NAME)
  .find((name) => typeof name === 'string');
if (devicesTable) {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: devicesTable,
        KeySchema: [{ AttributeName: 'deviceId', KeyType: 'HASH' }],
        AttributeDefinitions: [
          { AttributeName: 'deviceId', AttributeType: 'S' },
          { AttributeName: 'ownerId', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byOwner',
            KeySchema: [
              { AttributeName: 'ownerId', KeyType: 'HASH' },
              { AttributeName: 'deviceId', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    console.log(`devices table (iot-device-config-api's): created ${devicesTable} on ${endpoint}`);
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const fixture = JSON.parse(readFileSync(new URL('../tests/fixtures/put-thresholds-event.json', import.meta.url)));
  const deviceId = fixture.pathParameters.deviceId;
  const ownerId = fixture.requestContext.authorizer.claims.sub;
  await client.send(
    new PutItemCommand({
      TableName: devicesTable,
      Item: {
        deviceId: { S: deviceId },
        ownerId: { S: ownerId },
        type: { S: 'sensor' },
        registeredAt: { N: String(Date.now()) },
        thingArn: { S: `arn:aws:iot:us-east-1:000000000000:thing/${deviceId}` },
      },
    }),
  );
  console.log(`registered the fixtures' device ${deviceId} to the fixtures' user ${ownerId}`);
}
