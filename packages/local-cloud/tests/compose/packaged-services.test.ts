/**
 * Packages every service with `serverless package` (stage local, offline) in compose order, exactly as
 * `pnpm run package` does, and checks the CloudFormation each one produces.
 */
import { join } from 'node:path';
import { resolveOutputsOffline } from '../../src/cloudformation';
import { type PackagedService, packageServices } from '../../src/compose';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const ROOT = join(__dirname, '..', '..', '..', '..');
/** Actions that have no resource type in AWS's service authorization reference: IAM grants them on `*` only. */
const GRANTED_ON_EVERYTHING = new Set(['iot:CreateKeysAndCertificate', 'iot:DescribeEndpoint']);
let services: Record<string, PackagedService>;

const resources = (service: string): Record<string, Resource> =>
  (services[service]?.template as { Resources?: Record<string, Resource> } | undefined)?.Resources ?? {};
const ofType = (service: string, type: string) => Object.entries(resources(service)).filter(([, r]) => r.Type === type);
/** The event source mapping of one function of a service. */
const mappingOf = (service: string, functionLogicalId: string) =>
  ofType(service, 'AWS::Lambda::EventSourceMapping')
    .map(([, r]) => r)
    .find((r) => JSON.stringify(r.Properties.FunctionName).includes(`"${functionLogicalId}"`));
const resolved = (service: string) =>
  resolveOutputsOffline(services[service]?.template, { stackName: services[service]?.stackName ?? '' });

beforeAll(async () => {
  const packaged = await packageServices({
    root: ROOT,
    stage: 'local',
    outputsOf: async ({ template, stackName }) => resolveOutputsOffline(template, { stackName }).outputs,
  });
  services = Object.fromEntries(packaged.map((s) => [s.name, s]));
}, 180_000);

describe('pnpm run package', () => {
  it('packages the four services in compose order', () => {
    // Assess
    // alerting takes the telemetry stream's ARN from telemetry-analytics (for alerts on the stream).
    expect(Object.keys(services)).toEqual(['device-config-api', 'telemetry-analytics', 'alerting', 'ingestion-rules']);
    expect(Object.values(services).map((s) => s.stackName)).toEqual([
      'iot-device-config-api-local',
      'iot-telemetry-analytics-local',
      'iot-alerting-local',
      'iot-ingestion-rules-local',
    ]);
  });

  it('routes telemetry through one IoT SQL 2016-03-23 rule to alerting and Kinesis (which feeds the archive), with an error action', () => {
    // Prepare
    const [[, rule] = []] = ofType('ingestion-rules', 'AWS::IoT::TopicRule');
    const payload = rule?.Properties.TopicRulePayload as Record<string, unknown> & { Actions: unknown[] };
    const analytics = services['telemetry-analytics']?.outputs ?? {};

    // Assess
    expect(payload.AwsIotSqlVersion).toBe('2016-03-23');
    expect(payload.Sql).toMatch(/^SELECT topic\(2\) AS deviceId, .* FROM 'devices\/\+\/telemetry'$/);
    // The Lambda action only while alerts are evaluated on the rule (iot-alerting's AlertEvaluation, `rule` here).
    expect(services.alerting?.outputs.AlertEvaluation).toBe('rule');
    expect((services['ingestion-rules']?.template as { Conditions?: unknown } | undefined)?.Conditions).toEqual({
      AlertsOnRule: { 'Fn::Equals': ['rule', 'rule'] },
    });
    expect(payload.Actions).toEqual([
      {
        'Fn::If': [
          'AlertsOnRule',
          { Lambda: { FunctionArn: services.alerting?.outputs.EvaluateTelemetryFunctionArn } },
          { Ref: 'AWS::NoValue' },
        ],
      },
      {
        Kinesis: expect.objectContaining({
          StreamName: analytics.TelemetryStreamName,
          PartitionKey: { 'Fn::Sub': '${!topic(2)}' },
        }),
      },
    ]);
    expect(payload.ErrorAction).toEqual({
      Sqs: expect.objectContaining({ QueueUrl: { Ref: 'RuleErrorsQueue' }, UseBase64: false }),
    });
    expect(resolved('ingestion-rules').resources.RuleErrorsQueue?.physicalId).toMatch(
      /\/iot-ingestion-rules-local-rule-errors$/,
    );
  });

  it('lets AWS IoT invoke the alerting function from the telemetry rule only', () => {
    // Prepare
    const permissions = ofType('ingestion-rules', 'AWS::Lambda::Permission').map(([, r]) => r.Properties);

    // Assess
    expect(permissions).toEqual([
      expect.objectContaining({
        FunctionName: services.alerting?.outputs.EvaluateTelemetryFunctionArn,
        Principal: 'iot.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['TelemetryRule', 'Arn'] },
      }),
    ]);
  });

  it('consumes the telemetry stream with a 60 s tumbling window, partial batch failures and an on-failure queue', () => {
    // Prepare
    const mapping = mappingOf('telemetry-analytics', 'AggregateTelemetryLambdaFunction');

    // Assess
    expect(mapping?.Properties).toEqual(
      expect.objectContaining({
        EventSourceArn: { 'Fn::GetAtt': ['TelemetryStream', 'Arn'] },
        TumblingWindowInSeconds: 60,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['AggregatorFailureQueue', 'Arn'] } } },
      }),
    );
  });

  it('feeds the raw archive from the telemetry stream in large batches, with partial batch failures and its own on-failure queue', () => {
    // Prepare
    const mapping = mappingOf('telemetry-analytics', 'ArchiveRawTelemetryLambdaFunction');
    const archiver = resources('telemetry-analytics').ArchiveRawTelemetryLambdaFunction;

    // Assess
    expect(mapping?.Properties).toEqual(
      expect.objectContaining({
        EventSourceArn: { 'Fn::GetAtt': ['TelemetryStream', 'Arn'] },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 10000,
        MaximumBatchingWindowInSeconds: 30,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['ArchiveFailureQueue', 'Arn'] } } },
      }),
    );
    expect(mapping?.Properties.TumblingWindowInSeconds).toBeUndefined();
    expect(archiver?.Properties.Environment).toEqual({
      Variables: expect.objectContaining({
        RAW_ARCHIVE_DELIVERY_STREAM_NAME: services['telemetry-analytics']?.outputs.RawArchiveDeliveryStreamName,
      }),
    });
  });

  it('attaches the alerting and analytics routes to the REST API that device-config-api owns', () => {
    // Prepare
    const api = services['device-config-api']?.outputs ?? {};

    // Assess
    for (const service of ['alerting', 'telemetry-analytics']) {
      const methods = ofType(service, 'AWS::ApiGateway::Method');
      expect(methods.length).toBeGreaterThan(0);
      for (const [, method] of methods) expect(method.Properties.RestApiId).toBe(api.RestApiId);
      expect(ofType(service, 'AWS::ApiGateway::RestApi')).toEqual([]);
    }
    expect(api.RestApiId).toMatch(/^[a-z0-9]{10}$/);
  });

  it('runs every function on nodejs22.x arm64 with an environment free of CloudFormation functions', () => {
    for (const name of Object.keys(services)) {
      for (const [id, fn] of ofType(name, 'AWS::Lambda::Function')) {
        // Assess
        expect({ id, runtime: fn.Properties.Runtime, arch: fn.Properties.Architectures }).toEqual({
          id,
          runtime: 'nodejs22.x',
          arch: ['arm64'],
        });
        const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
        for (const [key, value] of Object.entries(variables))
          expect({ id, key, type: typeof value }).toEqual({ id, key, type: 'string' });
      }
    }
  });

  it('scopes every IAM statement of every function to named resources, but for actions AWS only grants on *', () => {
    for (const name of Object.keys(services)) {
      for (const [id, role] of ofType(name, 'AWS::IAM::Role')) {
        const policies = (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
        for (const statement of policies.flatMap((p) => p.PolicyDocument.Statement)) {
          // Assess
          const targets = [statement.Resource].flat();
          const onlyOnEverything = [statement.Action].flat().every((action) => GRANTED_ON_EVERYTHING.has(action));
          expect({ id, action: statement.Action, wildcard: targets.includes('*') && !onlyOnEverything }).toEqual({
            id,
            action: statement.Action,
            wildcard: false,
          });
        }
      }
    }
  });

  it('gives tables, queues, topics and streams deterministic names <service>-<stage>-<name>', () => {
    const named: [string, string][] = [
      ['AWS::DynamoDB::Table', 'TableName'],
      ['AWS::SQS::Queue', 'QueueName'],
      ['AWS::SNS::Topic', 'TopicName'],
      ['AWS::Kinesis::Stream', 'Name'],
      ['AWS::KinesisFirehose::DeliveryStream', 'DeliveryStreamName'],
    ];
    for (const name of Object.keys(services)) {
      for (const [type, property] of named) {
        for (const [id, resource] of ofType(name, type)) {
          // Assess
          expect({ id, name: resource.Properties[property] }).toEqual({
            id,
            name: expect.stringMatching(new RegExp(`^iot-${name}-local-[a-z0-9-]+$`)),
          });
        }
      }
    }
  });
});
