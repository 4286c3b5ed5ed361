import { DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../edge/aws-service';

/**
 * ARNs and URLs of the resources the local cloud emulates, in the forms AWS gives them. The CloudFormation
 * interpreter computes every `Ref` and `Fn::GetAtt` from these, and the emulated services answer with the same
 * ones, so a name read from a template, an environment variable or an API response always matches.
 */
export interface ArnScope {
  /** Defaults to us-east-1. */
  region?: string;
  /** Defaults to the local account, 000000000000. */
  accountId?: string;
  /** Defaults to `aws`. */
  partition?: string;
}

/** The edge endpoint the local cloud listens on by default; queue URLs point there. */
export const DEFAULT_ENDPOINT_URL = 'http://localhost:4566';
export const DEFAULT_PARTITION = 'aws';
export const DEFAULT_URL_SUFFIX = 'amazonaws.com';

function arn(service: string, resource: string, scope: ArnScope = {}, global = { region: false, account: false }) {
  const region = global.region ? '' : (scope.region ?? DEFAULT_REGION);
  const account = global.account ? '' : (scope.accountId ?? LOCAL_ACCOUNT_ID);
  return `arn:${scope.partition ?? DEFAULT_PARTITION}:${service}:${region}:${account}:${resource}`;
}

export const dynamoDbTableArn = (tableName: string, scope?: ArnScope) => arn('dynamodb', `table/${tableName}`, scope);

/** A table's stream ARN; `label` is the stream's creation time, `2026-01-01T00:00:00.000` in form. */
export const dynamoDbStreamArn = (tableName: string, label: string, scope?: ArnScope) =>
  `${dynamoDbTableArn(tableName, scope)}/stream/${label}`;

export const snsTopicArn = (topicName: string, scope?: ArnScope) => arn('sns', topicName, scope);

export const snsSubscriptionArn = (topicArn: string, subscriptionId: string) => `${topicArn}:${subscriptionId}`;

export const sqsQueueArn = (queueName: string, scope?: ArnScope) => arn('sqs', queueName, scope);

/**
 * A queue URL on the local edge endpoint: `http://localhost:4566/000000000000/<name>`. The AWS SDK sends SQS
 * requests to the queue URL's host when it differs from the client's endpoint, so the URL must name the local edge.
 */
export const sqsQueueUrl = (queueName: string, options: { endpointUrl?: string; accountId?: string } = {}) =>
  `${(options.endpointUrl ?? DEFAULT_ENDPOINT_URL).replace(/\/+$/, '')}/${options.accountId ?? LOCAL_ACCOUNT_ID}/${queueName}`;

/** The queue name from a queue URL or ARN (or a bare name). */
export function sqsQueueName(urlOrArnOrName: string): string {
  if (urlOrArnOrName.startsWith('arn:')) return urlOrArnOrName.split(':').slice(5).join(':');
  const path = /^https?:\/\//.test(urlOrArnOrName) ? new URL(urlOrArnOrName).pathname : urlOrArnOrName;
  return path.split('/').filter(Boolean).pop() ?? urlOrArnOrName;
}

export const s3BucketArn = (bucketName: string, partition = DEFAULT_PARTITION) =>
  arn('s3', bucketName, { partition }, { region: true, account: true });

export const s3ObjectArn = (bucketName: string, key: string, partition = DEFAULT_PARTITION) =>
  `${s3BucketArn(bucketName, partition)}/${key}`;

export const kinesisStreamArn = (streamName: string, scope?: ArnScope) => arn('kinesis', `stream/${streamName}`, scope);

export const firehoseDeliveryStreamArn = (deliveryStreamName: string, scope?: ArnScope) =>
  arn('firehose', `deliverystream/${deliveryStreamName}`, scope);

export const iotTopicRuleArn = (ruleName: string, scope?: ArnScope) => arn('iot', `rule/${ruleName}`, scope);

export const iotTopicArn = (topic: string, scope?: ArnScope) => arn('iot', `topic/${topic}`, scope);

export const lambdaFunctionArn = (functionName: string, scope?: ArnScope) =>
  arn('lambda', `function:${functionName}`, scope);

/** A qualified function ARN: a version number or an alias name after the function name. */
export const lambdaQualifiedArn = (functionName: string, qualifier: string, scope?: ArnScope) =>
  `${lambdaFunctionArn(functionName, scope)}:${qualifier}`;

export const lambdaEventSourceMappingArn = (uuid: string, scope?: ArnScope) =>
  arn('lambda', `event-source-mapping:${uuid}`, scope);

/**
 * The function name from whatever a template or API call names a function by: its name, its ARN, a qualified
 * ARN, or the partial `000000000000:function:name` form. A qualifier is dropped.
 */
export function lambdaFunctionName(nameOrArn: string): string {
  const parts = nameOrArn.split(':');
  const at = parts.indexOf('function');
  if (at >= 0 && parts[at + 1]) return parts[at + 1] as string;
  return parts[0] as string;
}

/** The path, when given, starts and ends with `/`, as IAM paths do. */
export const iamRoleArn = (roleName: string, path = '/', scope: ArnScope = {}) =>
  arn('iam', `role${path}${roleName}`, scope, { region: true, account: false });

export const eventsRuleArn = (ruleName: string, scope?: ArnScope) => arn('events', `rule/${ruleName}`, scope);

export const logGroupArn = (logGroupName: string, scope?: ArnScope) =>
  arn('logs', `log-group:${logGroupName}:*`, scope);

export const cognitoUserPoolArn = (userPoolId: string, scope?: ArnScope) =>
  arn('cognito-idp', `userpool/${userPoolId}`, scope);

/** The management ARN of a REST API (`arn:aws:apigateway:us-east-1::/restapis/<id>`), as IAM and tags use it. */
export const apiGatewayRestApiArn = (restApiId: string, scope: ArnScope = {}) =>
  arn('apigateway', `/restapis/${restApiId}`, scope, { region: false, account: true });

/**
 * The invocation ARN of an API method, as Lambda permissions name their source:
 * `arn:aws:execute-api:us-east-1:000000000000:<apiId>/<stage>/<METHOD>/<path>`.
 */
export function executeApiArn(
  restApiId: string,
  route: { stage?: string; method?: string; path?: string } = {},
  scope?: ArnScope,
): string {
  const path = (route.path ?? '').replace(/^\/+/, '');
  const suffix = route.path === undefined ? '' : `/${path}`;
  return arn('execute-api', `${restApiId}/${route.stage ?? '*'}/${route.method ?? '*'}${suffix}`, scope);
}

export const cloudFormationStackId = (stackName: string, uuid: string, scope?: ArnScope) =>
  arn('cloudformation', `stack/${stackName}/${uuid}`, scope);
