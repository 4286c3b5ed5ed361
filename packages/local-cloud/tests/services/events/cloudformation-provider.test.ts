import { deployStack, RESOURCE_TYPES, type ResourceProviders, recordOnlyProvider } from '../../../src/cloudformation';
import type { InvokeResult, LambdaInvoker } from '../../../src/contracts';
import { EVENTS_RESOURCE_TYPES, EventScheduler, eventsResourceProviders } from '../../../src/services/events';

/** What `serverless package` writes for a function with `events: [{ schedule: { rate: rate(1 minute) } }]`. */
const template = {
  AWSTemplateFormatVersion: '2010-09-09',
  Resources: {
    CheckAlarmsLambdaFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: 'iot-alerting-local-checkAlarms',
        Handler: 'src/handlers/check-alarms.handler',
        Runtime: 'nodejs22.x',
        Code: { S3Bucket: 'bucket', S3Key: 'serverless/iot-alerting/local/iot-alerting.zip' },
        Role: 'arn:aws:iam::000000000000:role/check',
      },
    },
    CheckAlarmsEventsRuleSchedule1: {
      Type: 'AWS::Events::Rule',
      Properties: {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [{ Arn: { 'Fn::GetAtt': ['CheckAlarmsLambdaFunction', 'Arn'] }, Id: 'checkAlarmsSchedule' }],
      },
    },
    CheckAlarmsLambdaPermissionEventsRuleSchedule1: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        FunctionName: { 'Fn::GetAtt': ['CheckAlarmsLambdaFunction', 'Arn'] },
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['CheckAlarmsEventsRuleSchedule1', 'Arn'] },
      },
    },
  },
  Outputs: { RuleArn: { Value: { 'Fn::GetAtt': ['CheckAlarmsEventsRuleSchedule1', 'Arn'] } } },
};

const invoker: LambdaInvoker = { invoke: async (): Promise<InvokeResult> => ({ ok: true, payload: undefined }) };

function providersFor(scheduler: EventScheduler): ResourceProviders {
  const recorded = Object.fromEntries(Object.keys(RESOURCE_TYPES).map((type) => [type, recordOnlyProvider]));
  return { ...recorded, ...eventsResourceProviders(scheduler) };
}

describe('the AWS::Events::Rule provider with the CloudFormation interpreter', () => {
  it('covers every EventBridge type the interpreter must have a provider for', () => {
    // Act
    const needed = Object.entries(RESOURCE_TYPES)
      .filter(([type, spec]) => type.startsWith('AWS::Events::') && spec.provisioning === 'provider')
      .map(([type]) => type);

    // Assess
    expect([...EVENTS_RESOURCE_TYPES]).toEqual(needed);
  });

  it("schedules a packaged service's rule under the name and ARN the stack resolves, targeting its function", async () => {
    // Prepare
    const scheduler = new EventScheduler({ invoker });

    // Act
    const stack = await deployStack({ stackName: 'iot-alerting-local', template, providers: providersFor(scheduler) });

    // Assess
    const [rule, ...others] = scheduler.listRules();
    expect(others).toEqual([]);
    expect(rule).toMatchObject({
      name: stack.resources.CheckAlarmsEventsRuleSchedule1?.physicalId,
      arn: stack.outputs.RuleArn,
      state: 'ENABLED',
      scheduleExpression: 'rate(1 minute)',
      stackName: 'iot-alerting-local',
      targets: [
        {
          Id: 'checkAlarmsSchedule',
          Arn: 'arn:aws:lambda:us-east-1:000000000000:function:iot-alerting-local-checkAlarms',
        },
      ],
      nextRunAt: expect.any(Number),
    });
    expect(stack.outputs.RuleArn).toMatch(/^arn:aws:events:us-east-1:000000000000:rule\/iot-alerting-local-/);
    await scheduler.close();
  });

  it('deploys the same stack again without a second schedule', async () => {
    // Prepare
    const scheduler = new EventScheduler({ invoker });
    await deployStack({ stackName: 'iot-alerting-local', template, providers: providersFor(scheduler) });
    const first = scheduler.listRules();

    // Act
    await deployStack({ stackName: 'iot-alerting-local', template, providers: providersFor(scheduler) });

    // Assess
    expect(scheduler.listRules()).toEqual(first);
    await scheduler.close();
  });

  it('fails the deploy, naming the rule, on a schedule EventBridge would refuse', async () => {
    // Prepare
    const scheduler = new EventScheduler({ invoker });
    const broken = structuredClone(template);
    broken.Resources.CheckAlarmsEventsRuleSchedule1.Properties.ScheduleExpression = 'rate(1 minutes)';

    // Act
    const deploy = deployStack({
      stackName: 'iot-alerting-local',
      template: broken,
      providers: providersFor(scheduler),
    });

    // Assess
    await expect(deploy).rejects.toThrow(/CheckAlarmsEventsRuleSchedule1[\s\S]*ScheduleExpression is not valid/);
    await scheduler.close();
  });
});
