import * as arns from './arns';
import { type GeneratedNameRules, generatedId, generatedPhysicalName, stableToken, stableUuid } from './physical-ids';

/** What the interpreter knows about a resource before it is created, from its resolved properties. */
export interface IdentityContext {
  stackName: string;
  logicalId: string;
  /** Resolved: no intrinsics left. */
  properties: Record<string, unknown>;
  region: string;
  accountId: string;
  partition: string;
  urlSuffix: string;
  /** The local edge endpoint, which queue URLs point at. */
  endpointUrl: string;
  /** 1, 2, 3 ... per key in one stack: Lambda version numbers. */
  sequence(key: string): number;
}

/** A resource's names as the interpreter expects them: what `Ref` and `Fn::GetAtt` give. */
export interface ResourceIdentity {
  /** The name to create it under (given by a name property or generated), for the types that have one. */
  name?: string;
  /** What `Ref` gives. */
  physicalId: string;
  /** What `Fn::GetAtt` gives, by attribute name. */
  attributes: Record<string, unknown>;
}

/**
 * `provider`: creating the resource has an effect the local cloud must emulate, so a provider must be registered.
 * `recorded`: nothing to emulate (IAM, policies, log groups, Cognito ...); the names are recorded so that
 * references resolve, and a provider is called if one is registered.
 */
export type Provisioning = 'provider' | 'recorded';

export interface ResourceTypeSpec {
  provisioning: Provisioning;
  identify(context: IdentityContext): ResourceIdentity;
}

const scopeOf = (c: IdentityContext): arns.ArnScope => ({
  region: c.region,
  accountId: c.accountId,
  partition: c.partition,
});

const isTrue = (value: unknown) => value === true || value === 'true';

/** The name property if the template gives one, else CloudFormation's generated name. */
function physicalName(c: IdentityContext, property: string | undefined, rules: GeneratedNameRules): string {
  const given = property ? c.properties[property] : undefined;
  if (typeof given === 'string' && given !== '') return given;
  return generatedPhysicalName(c.stackName, c.logicalId, rules);
}

const stringProperty = (c: IdentityContext, property: string) => {
  const value = c.properties[property];
  return typeof value === 'string' ? value : undefined;
};

/** A resource known only by a generated id, with no attributes: policies, permissions and the like. */
const recordedById = (rules: GeneratedNameRules = { maxLength: 128 }): ResourceTypeSpec => ({
  provisioning: 'recorded',
  identify: (c) => ({ physicalId: generatedPhysicalName(c.stackName, c.logicalId, rules), attributes: {} }),
});

/** An API Gateway child resource known by a short generated id, also given as the attribute `attribute`. */
const apiGatewayId = (
  provisioning: Provisioning,
  kind: string,
  length: number,
  attribute?: string,
): ResourceTypeSpec => ({
  provisioning,
  identify: (c) => {
    const id = generatedId(c.stackName, c.logicalId, length, kind);
    return { physicalId: id, attributes: attribute ? { [attribute]: id } : {} };
  },
});

/** Label of the stream ARNs of local tables, fixed so that a restart gives the same ARN. */
export const LOCAL_STREAM_LABEL = '1970-01-01T00:00:00.000';

/** The resource types the local cloud supports, by CloudFormation type name. */
export const RESOURCE_TYPES: Readonly<Record<string, ResourceTypeSpec>> = {
  'AWS::DynamoDB::Table': {
    provisioning: 'provider',
    identify: (c) => {
      const name = physicalName(c, 'TableName', { maxLength: 255 });
      const arn = arns.dynamoDbTableArn(name, scopeOf(c));
      const attributes: Record<string, unknown> = { Arn: arn };
      if (c.properties.StreamSpecification) {
        attributes.StreamArn = arns.dynamoDbStreamArn(name, LOCAL_STREAM_LABEL, scopeOf(c));
      }
      return { name, physicalId: name, attributes };
    },
  },
  'AWS::SNS::Topic': {
    provisioning: 'provider',
    identify: (c) => {
      const ending = isTrue(c.properties.FifoTopic) ? '.fifo' : '';
      const name = physicalName(c, 'TopicName', { maxLength: 256, ending });
      const arn = arns.snsTopicArn(name, scopeOf(c));
      return { name, physicalId: arn, attributes: { TopicArn: arn, TopicName: name } };
    },
  },
  'AWS::SNS::Subscription': {
    provisioning: 'provider',
    identify: (c) => {
      const topicArn = stringProperty(c, 'TopicArn') ?? arns.snsTopicArn('unknown', scopeOf(c));
      const arn = arns.snsSubscriptionArn(topicArn, stableUuid(`${c.stackName}/${c.logicalId}`));
      return { physicalId: arn, attributes: { Arn: arn } };
    },
  },
  'AWS::SQS::Queue': {
    provisioning: 'provider',
    identify: (c) => {
      const ending = isTrue(c.properties.FifoQueue) ? '.fifo' : '';
      const name = physicalName(c, 'QueueName', { maxLength: 80, ending });
      const url = arns.sqsQueueUrl(name, { endpointUrl: c.endpointUrl, accountId: c.accountId });
      return {
        name,
        physicalId: url,
        attributes: { Arn: arns.sqsQueueArn(name, scopeOf(c)), QueueName: name, QueueUrl: url },
      };
    },
  },
  'AWS::S3::Bucket': {
    provisioning: 'provider',
    identify: (c) => {
      const name = physicalName(c, 'BucketName', { maxLength: 63, lowerCase: true });
      const { region, urlSuffix } = c;
      return {
        name,
        physicalId: name,
        attributes: {
          Arn: arns.s3BucketArn(name, c.partition),
          DomainName: `${name}.s3.${urlSuffix}`,
          RegionalDomainName: `${name}.s3.${region}.${urlSuffix}`,
          DualStackDomainName: `${name}.s3.dualstack.${region}.${urlSuffix}`,
          WebsiteURL: `http://${name}.s3-website-${region}.${urlSuffix}`,
        },
      };
    },
  },
  'AWS::Kinesis::Stream': {
    provisioning: 'provider',
    identify: (c) => {
      const name = physicalName(c, 'Name', { maxLength: 128 });
      return { name, physicalId: name, attributes: { Arn: arns.kinesisStreamArn(name, scopeOf(c)) } };
    },
  },
  'AWS::KinesisFirehose::DeliveryStream': {
    provisioning: 'provider',
    identify: (c) => {
      const name = physicalName(c, 'DeliveryStreamName', { maxLength: 64 });
      return { name, physicalId: name, attributes: { Arn: arns.firehoseDeliveryStreamArn(name, scopeOf(c)) } };
    },
  },
  'AWS::IoT::TopicRule': {
    provisioning: 'provider',
    identify: (c) => {
      const name = physicalName(c, 'RuleName', { maxLength: 128, allowed: /[A-Za-z0-9_]/, separator: '_' });
      return { name, physicalId: name, attributes: { Arn: arns.iotTopicRuleArn(name, scopeOf(c)) } };
    },
  },
  'AWS::IoT::ThingType': {
    provisioning: 'provider',
    identify: (c) => {
      const name = physicalName(c, 'ThingTypeName', { maxLength: 128, allowed: /[A-Za-z0-9:_-]/ });
      const { partition, region, accountId } = scopeOf(c);
      return {
        name,
        physicalId: name,
        attributes: { Arn: `arn:${partition ?? 'aws'}:iot:${region}:${accountId}:thingtype/${name}`, Id: name },
      };
    },
  },
  'AWS::IoT::Policy': {
    provisioning: 'provider',
    identify: (c) => {
      const name = physicalName(c, 'PolicyName', { maxLength: 128, allowed: /[\w+=,.@-]/ });
      const { partition, region, accountId } = scopeOf(c);
      return {
        name,
        physicalId: name,
        attributes: { Arn: `arn:${partition ?? 'aws'}:iot:${region}:${accountId}:policy/${name}`, Id: name },
      };
    },
  },
  'AWS::Lambda::Function': {
    provisioning: 'provider',
    identify: (c) => {
      const name = physicalName(c, 'FunctionName', { maxLength: 64 });
      return { name, physicalId: name, attributes: { Arn: arns.lambdaFunctionArn(name, scopeOf(c)) } };
    },
  },
  'AWS::Lambda::Version': {
    provisioning: 'recorded',
    identify: (c) => {
      const functionName = arns.lambdaFunctionName(stringProperty(c, 'FunctionName') ?? c.logicalId);
      const version = String(c.sequence(`lambda-version:${functionName}`));
      const arn = arns.lambdaQualifiedArn(functionName, version, scopeOf(c));
      return { physicalId: arn, attributes: { Version: version, FunctionArn: arn } };
    },
  },
  'AWS::Lambda::EventSourceMapping': {
    provisioning: 'provider',
    identify: (c) => {
      const uuid = stableUuid(`${c.stackName}/${c.logicalId}`);
      return {
        physicalId: uuid,
        attributes: { Id: uuid, EventSourceMappingArn: arns.lambdaEventSourceMappingArn(uuid, scopeOf(c)) },
      };
    },
  },
  'AWS::Lambda::EventInvokeConfig': {
    provisioning: 'provider',
    identify: (c) => ({
      physicalId: generatedPhysicalName(c.stackName, c.logicalId, { maxLength: 128 }),
      attributes: {},
    }),
  },
  'AWS::Lambda::Permission': recordedById(),
  'AWS::ApiGateway::RestApi': {
    provisioning: 'provider',
    identify: (c) => {
      const id = generatedId(c.stackName, c.logicalId, 10, 'restapi');
      return {
        name: stringProperty(c, 'Name') ?? c.logicalId,
        physicalId: id,
        attributes: { RestApiId: id, RootResourceId: generatedId(c.stackName, c.logicalId, 10, 'root') },
      };
    },
  },
  'AWS::ApiGateway::Resource': apiGatewayId('provider', 'resource', 10, 'ResourceId'),
  'AWS::ApiGateway::Method': apiGatewayId('provider', 'method', 10),
  'AWS::ApiGateway::Deployment': apiGatewayId('provider', 'deployment', 6, 'DeploymentId'),
  'AWS::ApiGateway::Authorizer': apiGatewayId('provider', 'authorizer', 6, 'AuthorizerId'),
  'AWS::ApiGateway::Stage': {
    provisioning: 'provider',
    identify: (c) => {
      const name = stringProperty(c, 'StageName') ?? generatedId(c.stackName, c.logicalId, 10, 'stage');
      return { name, physicalId: name, attributes: {} };
    },
  },
  'AWS::ApiGateway::RequestValidator': apiGatewayId('recorded', 'validator', 6, 'RequestValidatorId'),
  'AWS::ApiGateway::Model': {
    provisioning: 'recorded',
    identify: (c) => {
      const name = physicalName(c, 'Name', { maxLength: 64, allowed: /[A-Za-z0-9]/, separator: '' });
      return { name, physicalId: name, attributes: {} };
    },
  },
  'AWS::ApiGateway::GatewayResponse': apiGatewayId('recorded', 'gatewayresponse', 6),
  'AWS::Events::Rule': {
    provisioning: 'provider',
    identify: (c) => {
      const name = physicalName(c, 'Name', { maxLength: 64 });
      return { name, physicalId: name, attributes: { Arn: arns.eventsRuleArn(name, scopeOf(c)) } };
    },
  },
  'AWS::IAM::Role': {
    provisioning: 'recorded',
    identify: (c) => {
      const name = physicalName(c, 'RoleName', { maxLength: 64 });
      const path = stringProperty(c, 'Path') ?? '/';
      return {
        name,
        physicalId: name,
        attributes: {
          Arn: arns.iamRoleArn(name, path, scopeOf(c)),
          RoleId: `AROA${stableToken(`${c.stackName}/${c.logicalId}`, 17)}`,
        },
      };
    },
  },
  'AWS::IAM::Policy': recordedById(),
  'AWS::IAM::ManagedPolicy': {
    provisioning: 'recorded',
    identify: (c) => {
      const name = physicalName(c, 'ManagedPolicyName', { maxLength: 128 });
      const path = stringProperty(c, 'Path') ?? '/';
      const arn = `arn:${c.partition}:iam::${c.accountId}:policy${path}${name}`;
      return { name, physicalId: arn, attributes: { PolicyArn: arn } };
    },
  },
  'AWS::S3::BucketPolicy': recordedById(),
  'AWS::SQS::QueuePolicy': recordedById(),
  'AWS::SNS::TopicPolicy': recordedById(),
  'AWS::Logs::LogGroup': {
    provisioning: 'recorded',
    identify: (c) => {
      const name = physicalName(c, 'LogGroupName', { maxLength: 512 });
      return { name, physicalId: name, attributes: { Arn: arns.logGroupArn(name, scopeOf(c)) } };
    },
  },
  'AWS::Cognito::UserPool': {
    provisioning: 'recorded',
    identify: (c) => {
      const id = `${c.region}_${stableToken(`${c.stackName}/${c.logicalId}`, 9, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`;
      const provider = `cognito-idp.${c.region}.${c.urlSuffix}/${id}`;
      return {
        name: stringProperty(c, 'UserPoolName') ?? c.logicalId,
        physicalId: id,
        attributes: {
          UserPoolId: id,
          Arn: arns.cognitoUserPoolArn(id, scopeOf(c)),
          ProviderName: provider,
          ProviderURL: `https://${provider}`,
        },
      };
    },
  },
  // A group only names the users a function lets do more; tokens carry it in `cognito:groups` (minted with `groups`).
  'AWS::Cognito::UserPoolGroup': {
    provisioning: 'recorded',
    identify: (c) => {
      const name = stringProperty(c, 'GroupName') ?? c.logicalId;
      return { name, physicalId: name, attributes: {} };
    },
  },
  'AWS::Cognito::UserPoolClient': {
    provisioning: 'recorded',
    identify: (c) => {
      const id = generatedId(c.stackName, c.logicalId, 26, 'userpoolclient');
      const name = stringProperty(c, 'ClientName') ?? c.logicalId;
      return { name, physicalId: id, attributes: { ClientId: id, Name: name } };
    },
  },
};

export const isSupportedResourceType = (type: string) => Object.hasOwn(RESOURCE_TYPES, type);
