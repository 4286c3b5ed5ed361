import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { deployStack } from '../../../src/cloudformation';
import { lambdaResourceProviders, serverlessArtifacts } from '../../../src/services/lambda';
import {
  createRuntime,
  functionArn,
  type LocalLambda,
  makeTempDir,
  RecordingQueueSender,
  removeTempDirs,
  waitFor,
} from './lambda-test-kit';

const FAILURE_QUEUE = 'arn:aws:sqs:us-east-1:000000000000:iot-alerting-dev-failures';

const HANDLER = `
exports.handler = async (event, context) => {
  if (event.fail) throw new Error('cannot evaluate');
  return { table: process.env.THRESHOLDS_TABLE, invoked: context.invokedFunctionArn };
};`;

/** The shape `serverless package` gives a function with a version, a destination and a retry setting. */
const TEMPLATE = {
  AWSTemplateFormatVersion: '2010-09-09',
  Resources: {
    IamRoleLambdaExecution: {
      Type: 'AWS::IAM::Role',
      Properties: { RoleName: 'iot-alerting-dev-us-east-1-lambdaRole', AssumeRolePolicyDocument: {} },
    },
    EvaluateTelemetryLambdaFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Code: {
          S3Bucket: 'serverless-deployment-bucket',
          S3Key: 'serverless/iot-alerting/dev/1700000000000/iot-alerting.zip',
        },
        Handler: 'src/handlers/evaluate-telemetry.handler',
        Runtime: 'nodejs22.x',
        FunctionName: 'iot-alerting-dev-evaluateTelemetry',
        MemorySize: 1024,
        Timeout: 6,
        Architectures: ['arm64'],
        Environment: { Variables: { THRESHOLDS_TABLE: 'iot-alerting-dev-thresholds' } },
        Role: { 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] },
      },
      DependsOn: ['IamRoleLambdaExecution'],
    },
    EvaluateTelemetryLambdaVersionAbc123: {
      Type: 'AWS::Lambda::Version',
      DeletionPolicy: 'Retain',
      Properties: { FunctionName: { Ref: 'EvaluateTelemetryLambdaFunction' }, CodeSha256: 'abc' },
    },
    EvaluateTelemetryLambdaEvConf: {
      Type: 'AWS::Lambda::EventInvokeConfig',
      Properties: {
        FunctionName: { Ref: 'EvaluateTelemetryLambdaFunction' },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: FAILURE_QUEUE } },
      },
    },
  },
  Outputs: {
    EvaluateTelemetryLambdaFunctionQualifiedArn: { Value: { Ref: 'EvaluateTelemetryLambdaVersionAbc123' } },
  },
};

describe('the Lambda resource providers', () => {
  let lambda: LocalLambda;
  let queues: RecordingQueueSender;

  beforeEach(() => {
    queues = new RecordingQueueSender();
    lambda = createRuntime({ queueSender: queues });
  });

  afterEach(async () => {
    await lambda.close();
  });

  afterAll(() => removeTempDirs());

  it('deploys a packaged template: the function from its zip, its version and its event invoke config', async () => {
    // Prepare
    const serviceDir = makeTempDir('iot-alerting-');
    mkdirSync(join(serviceDir, '.serverless'));
    const zip = new AdmZip();
    zip.addFile('src/handlers/evaluate-telemetry.js', Buffer.from(HANDLER));
    zip.writeZip(join(serviceDir, '.serverless', 'iot-alerting.zip'));
    const providers = lambdaResourceProviders(lambda.runtime, { resolveCode: serverlessArtifacts(serviceDir) });

    // Act
    const stack = await deployStack({
      stackName: 'iot-alerting-dev',
      template: TEMPLATE,
      providers,
      logger: { info() {}, warn() {} },
    });
    const name = 'iot-alerting-dev-evaluateTelemetry';
    const byVersion = await lambda.runtime.invoke(
      stack.outputs.EvaluateTelemetryLambdaFunctionQualifiedArn as string,
      {},
      'RequestResponse',
    );
    await lambda.runtime.invoke(name, { fail: true }, 'Event');
    const failure = await waitFor(() => queues.sent[0]);

    // Assess
    expect(lambda.runtime.getFunction(name).configuration).toMatchObject({
      FunctionArn: functionArn(name),
      Handler: 'src/handlers/evaluate-telemetry.handler',
      MemorySize: 1024,
      Timeout: 6,
      Architectures: ['arm64'],
      Role: 'arn:aws:iam::000000000000:role/iot-alerting-dev-us-east-1-lambdaRole',
    });
    expect(byVersion).toEqual({
      ok: true,
      payload: { table: 'iot-alerting-dev-thresholds', invoked: `${functionArn(name)}:1` },
    });
    expect(failure.queueArn).toBe(FAILURE_QUEUE);
    expect(JSON.parse(failure.body).requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 1,
    });
  });
});
