/**
 * What serverless.yml must keep true for the code and the other services: the names the functions read, a thing
 * type per device type, error handling on every topic rule, and the outputs other services and the local cloud use.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLEET_OPERATORS_GROUP } from '@iot/lambda-kit';
import { parseServerlessYml } from '@iot/testing';
import { DeviceTypeSchema } from '@iot/types';
import { SERVICE_DIR } from './support';

const yml = parseServerlessYml(readFileSync(join(SERVICE_DIR, 'serverless.yml'), 'utf8')) as ReturnType<
  typeof parseServerlessYml
> & {
  custom: { names: Record<string, string> };
  resources: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>; Outputs: object };
};
const resources = yml.resources.Resources;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('serverless.yml of iot-device-config-api', () => {
  it('gives the functions plain strings only (serverless invoke local resolves them offline)', () => {
    // Act
    const environment = yml.provider.environment as Record<string, unknown>;

    // Assess
    for (const [name, value] of Object.entries(environment)) {
      expect([name, typeof value]).toEqual([name, 'string']);
    }
  });

  it('declares a thing type for every device type, named as the functions name it', () => {
    // Act
    const names = ofType('AWS::IoT::ThingType').map(([, r]) => r.Properties.ThingTypeName);

    // Assess
    expect(names.sort()).toEqual(
      DeviceTypeSchema.options.map((type) => `\${self:custom.names.thingTypePrefix}${type}`).sort(),
    );
    expect((yml.provider.environment as Record<string, string>).THING_TYPE_PREFIX).toBe(
      '${self:custom.names.thingTypePrefix}',
    );
  });

  it('has every topic rule on SQL 2016-03-23, invoking a function of this service, with an error action', () => {
    // Act
    const rules = ofType('AWS::IoT::TopicRule');

    // Assess
    expect(rules.map(([id]) => id).sort()).toEqual(['CommandResultRule', 'DevicePresenceRule']);
    for (const [id, rule] of rules) {
      const payload = rule.Properties.TopicRulePayload as Record<string, unknown>;
      expect(payload.AwsIotSqlVersion).toBe('2016-03-23');
      expect(payload.ErrorAction).toEqual({
        Sqs: {
          QueueUrl: { Ref: 'DeviceEventFailuresQueue' },
          UseBase64: false,
          RoleArn: { 'Fn::GetAtt': ['TopicRuleRole', 'Arn'] },
        },
      });
      const functionArn = (payload.Actions as Array<{ Lambda: { FunctionArn: unknown } }>)[0]?.Lambda.FunctionArn;
      const permission = ofType('AWS::Lambda::Permission').find(
        ([, p]) => JSON.stringify(p.Properties.SourceArn) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }),
      );
      expect(permission?.[1].Properties.FunctionName).toEqual(functionArn);
    }
  });

  it('keeps idempotency keys and commands with a time to live, and indexes devices by owner', () => {
    // Assess
    expect(resources.IdempotencyTable?.Properties.TimeToLiveSpecification).toEqual({
      AttributeName: 'expiresAt',
      Enabled: true,
    });
    expect(resources.CommandsTable?.Properties.TimeToLiveSpecification).toEqual({
      AttributeName: 'expiresAt',
      Enabled: true,
    });
    expect(resources.DevicesTable?.Properties.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({ IndexName: 'byOwner' }),
    ]);
  });

  it('authorizes with the user pool through one authorizer on the REST API', () => {
    // Assess
    expect(resources.CognitoAuthorizer?.Properties).toMatchObject({
      Type: 'COGNITO_USER_POOLS',
      RestApiId: { Ref: 'ApiGatewayRestApi' },
      IdentitySource: 'method.request.header.Authorization',
      ProviderARNs: [{ 'Fn::GetAtt': ['UserPool', 'Arn'] }],
    });
    expect(resources.UserPoolClient?.Properties).toMatchObject({
      UserPoolId: { Ref: 'UserPool' },
      GenerateSecret: false,
    });
  });

  it('outputs what the other services and the local cloud take from it', () => {
    // Assess
    expect(Object.keys(yml.resources.Outputs)).toEqual(
      expect.arrayContaining([
        'RestApiId',
        'RestApiRootResourceId',
        'DevicesResourceId',
        'DevicesDeviceIdResourceId',
        'FleetResourceId',
        'CognitoAuthorizerId',
        'UserPoolId',
        'UserPoolArn',
        'UserPoolClientId',
        'DevicesTableName',
        'DevicesTableArn',
        'FleetOperatorsGroupName',
      ]),
    );
  });

  it('declares the fleet operators group under the name the fleet routes check', () => {
    // Prepare
    const group = yml.resources.Resources.FleetOperatorsGroup;

    // Assess
    expect(group?.Type).toBe('AWS::Cognito::UserPoolGroup');
    expect(group?.Properties.GroupName).toBe(FLEET_OPERATORS_GROUP);
  });
});
