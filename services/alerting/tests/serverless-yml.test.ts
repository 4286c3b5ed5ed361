/**
 * What serverless.yml must keep true for the service to package offline, run under `serverless invoke local`, and
 * deploy with least privilege.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseServerlessYml } from '@iot/testing';

const config = parseServerlessYml(readFileSync(join(__dirname, '..', 'serverless.yml'), 'utf8'));
const functions = Object.entries(config.functions ?? {});
const resources = config.resources?.Resources ?? {};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const statementsOf = (fn: Record<string, unknown>) => (fn.iamRoleStatements ?? []) as Statement[];
const actions = (statement: Statement) => [statement.Action].flat();

describe('serverless.yml', () => {
  it('lets only the owner of a device use its routes: every device route may read the devices table', () => {
    // Prepare
    // A function's events may also be a variable (the stream evaluation's, chosen by the `alerts` param).
    const deviceRoutes = functions.filter(
      ([, fn]) =>
        Array.isArray(fn.events) &&
        (fn.events as { http?: { path?: string } }[]).some((event) =>
          event.http?.path?.startsWith('devices/{deviceId}'),
        ),
    );

    // Assess
    expect((config.provider.environment as Record<string, unknown>).DEVICES_TABLE_NAME).toBe(
      '${param:devicesTableName}',
    );
    expect(deviceRoutes.length).toBeGreaterThan(0);
    for (const [name, fn] of deviceRoutes) {
      const reads = statementsOf(fn).filter((statement) => statement.Resource === '${param:devicesTableArn}');
      expect([name, reads.flatMap(actions)]).toEqual([name, ['dynamodb:GetItem']]);
    }
  });

  it('keeps every environment variable a plain string, so invoke local needs no CloudFormation', () => {
    // Prepare
    const environments = [config.provider.environment, ...functions.map(([, fn]) => fn.environment ?? {})] as Record<
      string,
      unknown
    >[];

    // Assess
    for (const environment of environments) {
      for (const value of Object.values(environment)) expect(typeof value).toBe('string');
    }
  });

  it('gives every function its own statements, on resources this service declares, never on "*"', () => {
    // Assess
    for (const [name, fn] of functions) {
      const statements = statementsOf(fn);
      expect([name, statements.length > 0]).toEqual([name, true]);
      for (const statement of statements) {
        expect(statement.Effect).toBe('Allow');
        // The devices table is iot-device-config-api's, passed as a param: read only, to check who owns a device.
        if (String(statement.Resource).startsWith('${param:devicesTableArn}')) {
          expect(actions(statement)).toEqual([
            String(statement.Resource).endsWith('/index/byOwner') ? 'dynamodb:Query' : 'dynamodb:GetItem',
          ]);
          continue;
        }
        const resource = statement.Resource as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Sub'?: string };
        // `!Sub "${Table.Arn}/index/name"` names an index of a declared table.
        const logicalId =
          resource.Ref ??
          resource['Fn::GetAtt']?.[0] ??
          resource['Fn::Sub']?.match(/^\$\{(\w+)\.Arn\}\/index\/\w+$/)?.[1];
        // The one resource of another service: the telemetry stream the stream evaluation reads (alerts=stream).
        if (actions(statement).every((action) => action.startsWith('kinesis:'))) {
          expect([name, resource]).toEqual([name, "${param:telemetryStreamArn, 'missing-param-telemetryStreamArn'}"]);
          continue;
        }
        expect(Object.keys(resources)).toContain(logicalId);
      }
    }
  });

  it('retries a failed evaluation twice, then sends the event to its own failures queue, which it may write to', () => {
    // Prepare
    const evaluate = config.functions?.evaluateTelemetry ?? {};

    // Assess
    expect(evaluate.maximumRetryAttempts).toBe(2);
    expect(evaluate.maximumEventAge).toEqual(expect.any(Number));
    expect(evaluate.destinations).toEqual({
      onFailure: { type: 'sqs', arn: { 'Fn::GetAtt': ['EvaluateFailuresQueue', 'Arn'] } },
    });
    expect(statementsOf(evaluate)).toContainEqual({
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': ['EvaluateFailuresQueue', 'Arn'] },
    });
    expect(resources.EvaluateFailuresQueue?.Properties?.QueueName).toBe('${self:custom.evaluateFailuresQueueName}');
  });

  it('lets only the functions that change alarms publish to the alerts topic or write the history', () => {
    // Prepare
    const allowedTo = (action: string) =>
      functions
        .filter(([, fn]) => statementsOf(fn).some((statement) => actions(statement).includes(action)))
        .map(([name]) => name)
        .sort();

    // Assess
    expect(allowedTo('sns:Publish')).toEqual(['checkAlarms', 'evaluateTelemetry', 'evaluateTelemetryStream']);
    expect(
      functions
        .filter(([, fn]) =>
          statementsOf(fn).some(
            (statement) =>
              actions(statement).includes('dynamodb:PutItem') &&
              (statement.Resource as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0] === 'AlarmHistoryTable',
          ),
        )
        .map(([name]) => name)
        .sort(),
    ).toEqual(['checkAlarms', 'evaluateTelemetry', 'evaluateTelemetryStream']);
  });

  it('gives the scheduled check and the evaluation the same settings', () => {
    // Prepare
    const evaluate = config.functions?.evaluateTelemetry?.environment;
    const check = config.functions?.checkAlarms?.environment;

    // Assess
    expect(check).toEqual(evaluate);
    expect(check).toMatchObject({
      THRESHOLD_CACHE_TTL_SECONDS: "${param:thresholdCacheTtlSeconds, '60'}",
      ALARM_HISTORY_RETENTION_DAYS: "${param:historyRetentionDays, '90'}",
      REMINDER_MINUTES: "${param:reminderMinutes, '0'}",
    });
  });

  it('runs the check every minute, without retries, within the minute', () => {
    // Prepare
    const check = config.functions?.checkAlarms ?? {};

    // Assess
    expect(check.events).toEqual([{ schedule: { rate: 'rate(1 minute)', enabled: true } }]);
    expect(check.maximumRetryAttempts).toBe(0);
    expect(check.timeout).toBeLessThan(60);
  });

  it('indexes alarms by state and, sparsely, by check time, keys only', () => {
    // Prepare
    const table = resources.AlarmsTable?.Properties as {
      GlobalSecondaryIndexes: Array<{ IndexName: string; KeySchema: unknown[]; Projection: unknown }>;
    };

    // Assess
    expect(table.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'byState',
        KeySchema: [
          { AttributeName: 'state', KeyType: 'HASH' },
          { AttributeName: 'stateChangedAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
      {
        IndexName: 'byCheckAt',
        KeySchema: [
          { AttributeName: 'checkShard', KeyType: 'HASH' },
          { AttributeName: 'checkAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
  });

  it('expires history entries with DynamoDB TTL', () => {
    // Assess
    expect(resources.AlarmHistoryTable?.Properties).toMatchObject({
      TableName: '${self:custom.alarmHistoryTableName}',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('serves every route of the service', () => {
    // Prepare
    const routes = functions.flatMap(([, fn]) =>
      // The stream evaluation's events are a variable (they depend on the alerts param): no route.
      (Array.isArray(fn.events) ? (fn.events as Array<{ http?: { method: string; path: string } }>) : []).flatMap(
        (event) => (event.http ? [`${event.http.method.toUpperCase()} /${event.http.path}`] : []),
      ),
    );

    // Assess
    expect(routes.sort()).toEqual(
      [
        'PUT /devices/{deviceId}/thresholds',
        'GET /devices/{deviceId}/thresholds',
        'DELETE /devices/{deviceId}/thresholds',
        'PUT /fleet/thresholds',
        'GET /fleet/thresholds',
        'GET /devices/{deviceId}/alarms',
        'GET /devices/{deviceId}/alarms/history',
        'GET /alarms',
        'POST /devices/{deviceId}/alarms/{metric}/ack',
      ].sort(),
    );
  });

  it('names what it creates after the service and stage', () => {
    // Assess
    expect((config as { custom?: unknown }).custom).toMatchObject({
      thresholdsTableName: '${self:service}-${sls:stage}-thresholds',
      alarmsTableName: '${self:service}-${sls:stage}-alarms',
      alarmHistoryTableName: '${self:service}-${sls:stage}-alarm-history',
      alertsTopicName: '${self:service}-${sls:stage}-alerts',
      evaluateFailuresQueueName: '${self:service}-${sls:stage}-evaluate-failures',
    });
    expect(config.functions?.evaluateTelemetry?.environment).toMatchObject({
      ALERTS_TOPIC_ARN: 'arn:aws:sns:${aws:region}:${param:accountId, aws:accountId}:${self:custom.alertsTopicName}',
    });
  });

  it('attaches its routes to the shared REST API given as required params', () => {
    // Assess
    expect(config.provider.apiGateway).toEqual({
      restApiId: '${param:restApiId}',
      restApiRootResourceId: '${param:restApiRootResourceId}',
      restApiResources: {
        '/devices': '${param:devicesResourceId}',
        '/devices/{deviceId}': '${param:devicesDeviceIdResourceId}',
        '/fleet': "${param:fleetResourceId, 'missing-param-fleetResourceId'}",
      },
    });
  });

  it('outputs what the other services consume', () => {
    // Prepare
    const outputs = (config.resources as { Outputs?: Record<string, { Value: unknown }> }).Outputs ?? {};

    // Assess
    expect(Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.Value]))).toMatchObject({
      EvaluateTelemetryFunctionArn: { 'Fn::GetAtt': ['EvaluateTelemetryLambdaFunction', 'Arn'] },
      EvaluateTelemetryFunctionName: { Ref: 'EvaluateTelemetryLambdaFunction' },
      AlertsTopicArn: { Ref: 'AlertsTopic' },
      ThresholdsTableName: { Ref: 'ThresholdsTable' },
      AlarmsTableName: { Ref: 'AlarmsTable' },
      AlarmHistoryTableName: { Ref: 'AlarmHistoryTable' },
      CheckAlarmsFunctionName: { Ref: 'CheckAlarmsLambdaFunction' },
    });
  });

  it('evaluates on the rule by default, and on the telemetry stream with alerts=stream, reporting failed records', () => {
    // Prepare
    const custom = (config as unknown as { custom: unknown }).custom as Record<string, unknown> & {
      streamEvaluationEvents: Record<string, Array<{ stream: Record<string, unknown> }>>;
    };

    // Assess
    expect(custom.alerts).toBe("${param:alerts, 'rule'}");
    expect(config.functions?.evaluateTelemetryStream?.events).toBe(
      '${self:custom.streamEvaluationEvents.${self:custom.alerts}}',
    );
    expect(custom.streamEvaluationEvents.rule).toEqual([]);
    expect(custom.streamEvaluationEvents.stream).toEqual([
      {
        stream: expect.objectContaining({
          type: 'kinesis',
          functionResponseType: 'ReportBatchItemFailures',
          destinations: { onFailure: { type: 'sqs', arn: { 'Fn::GetAtt': ['EvaluateFailuresQueue', 'Arn'] } } },
        }),
      },
    ]);
    const outputs = (config.resources as { Outputs?: Record<string, { Value: unknown }> }).Outputs ?? {};
    expect(outputs.AlertEvaluation?.Value).toBe('${self:custom.alerts}');
  });
});
