import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddThingToThingGroupCommand,
  AttachThingPrincipalCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  CreateThingTypeCommand,
  CreateTopicRuleCommand,
  DeleteThingCommand,
  DeleteTopicRuleCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DescribeThingTypeCommand,
  DetachThingPrincipalCommand,
  DisableTopicRuleCommand,
  EnableTopicRuleCommand,
  GetTopicRuleCommand,
  IoTClient,
  ListThingPrincipalsCommand,
  ListThingsCommand,
  ListThingsInThingGroupCommand,
  ListThingTypesCommand,
  ListTopicRulesCommand,
  ReplaceTopicRuleCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';
import { type EdgeServer, startEdgeServer } from '../../../src/edge/edge-server';
import type { MqttBroker } from '../../../src/iot/broker';
import { IotControlPlaneService, ThingRegistry } from '../../../src/iot/control-plane';
import { RulesEngine, TopicRuleRegistry } from '../../../src/iot/rules';
import { closeClients, connect, startBroker } from '../broker/mqtt-fixture';
import { recordingTargets, waitFor } from '../rules/rules-fixture';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const LAMBDA = 'arn:aws:lambda:us-east-1:000000000000:function:on-telemetry';

describe('IoT control plane through the edge endpoint', () => {
  let edge: EdgeServer;
  let iot: IoTClient;
  let rules: TopicRuleRegistry;
  let things: ThingRegistry;
  let dataDir: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'iot-control-plane-'));
    rules = new TopicRuleRegistry({ dataDir });
    things = new ThingRegistry({ dataDir });
    const service = new IotControlPlaneService({ rules, things, dataEndpoint: '127.0.0.1' });
    edge = await startEdgeServer({ services: [service] });
    iot = new IoTClient({ endpoint: edge.url, region: 'us-east-1', credentials });
  });

  afterEach(async () => {
    iot.destroy();
    await edge.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates, gets, lists, replaces, disables, enables and deletes a topic rule', async () => {
    // Act
    await iot.send(
      new CreateTopicRuleCommand({
        ruleName: 'telemetry_api',
        topicRulePayload: {
          sql: "SELECT * FROM 'devices/+/telemetry'",
          awsIotSqlVersion: '2016-03-23',
          description: 'from the API',
          actions: [{ lambda: { functionArn: LAMBDA } }],
        },
      }),
    );
    const created = await iot.send(new GetTopicRuleCommand({ ruleName: 'telemetry_api' }));
    await iot.send(
      new ReplaceTopicRuleCommand({
        ruleName: 'telemetry_api',
        topicRulePayload: {
          sql: "SELECT temperature FROM 'devices/+/status'",
          actions: [{ lambda: { functionArn: LAMBDA } }],
        },
      }),
    );
    await iot.send(new DisableTopicRuleCommand({ ruleName: 'telemetry_api' }));
    const disabled = await iot.send(new ListTopicRulesCommand({ ruleDisabled: true }));
    await iot.send(new EnableTopicRuleCommand({ ruleName: 'telemetry_api' }));
    const replaced = await iot.send(new GetTopicRuleCommand({ ruleName: 'telemetry_api' }));
    const listed = await iot.send(new ListTopicRulesCommand({}));
    await iot.send(new DeleteTopicRuleCommand({ ruleName: 'telemetry_api' }));
    const afterDelete = iot.send(new GetTopicRuleCommand({ ruleName: 'telemetry_api' }));

    // Assess
    expect(created.ruleArn).toBe('arn:aws:iot:us-east-1:000000000000:rule/telemetry_api');
    expect(created.rule).toMatchObject({
      ruleName: 'telemetry_api',
      sql: "SELECT * FROM 'devices/+/telemetry'",
      awsIotSqlVersion: '2016-03-23',
      description: 'from the API',
      ruleDisabled: false,
      actions: [{ lambda: { functionArn: LAMBDA } }],
    });
    expect(created.rule?.createdAt).toBeInstanceOf(Date);
    expect(disabled.rules?.map((r) => r.ruleName)).toEqual(['telemetry_api']);
    expect(replaced.rule).toMatchObject({ sql: "SELECT temperature FROM 'devices/+/status'", ruleDisabled: false });
    expect(listed.rules).toEqual([
      expect.objectContaining({ ruleName: 'telemetry_api', topicPattern: 'devices/+/status', ruleDisabled: false }),
    ]);
    await expect(afterDelete).rejects.toMatchObject({ name: 'UnauthorizedException' });
  });

  it('refuses invalid SQL with SqlParseException naming the position', async () => {
    // Act
    const attempt = iot.send(
      new CreateTopicRuleCommand({
        ruleName: 'broken',
        topicRulePayload: { sql: "SELECT temperature, FROM 'devices/+/telemetry'", actions: [] },
      }),
    );

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: 'SqlParseException',
      message: expect.stringMatching(/line 1, column \d+ \(offset \d+\)/),
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('answers DescribeEndpoint with the local broker host', async () => {
    // Act
    const endpoint = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));

    // Assess
    expect(endpoint.endpointAddress).toBe('127.0.0.1');
  });

  it('keeps things with attributes and types, filters and pages them, and keeps them across restarts', async () => {
    // Prepare
    await iot.send(
      new CreateThingTypeCommand({ thingTypeName: 'sensor', thingTypeProperties: { thingTypeDescription: 'T' } }),
    );
    for (const [name, floor] of [
      ['s1', '1'],
      ['s2', '2'],
      ['s3', '1'],
    ] as const) {
      await iot.send(
        new CreateThingCommand({
          thingName: name,
          thingTypeName: 'sensor',
          attributePayload: { attributes: { floor } },
        }),
      );
    }
    await iot.send(new CreateThingCommand({ thingName: 'gateway', attributePayload: { attributes: { floor: '1' } } }));

    // Act
    const firstFloor = await iot.send(new ListThingsCommand({ attributeName: 'floor', attributeValue: '1' }));
    const sensors = await iot.send(new ListThingsCommand({ thingTypeName: 'sensor', maxResults: 2 }));
    const nextSensors = await iot.send(
      new ListThingsCommand({ thingTypeName: 'sensor', maxResults: 2, nextToken: sensors.nextToken }),
    );
    await iot.send(
      new UpdateThingCommand({
        thingName: 's2',
        attributePayload: { attributes: { room: 'b' }, merge: true },
        expectedVersion: 1,
      }),
    );
    const updated = await iot.send(new DescribeThingCommand({ thingName: 's2' }));
    const conflict = iot.send(
      new UpdateThingCommand({ thingName: 's2', attributePayload: { attributes: {} }, expectedVersion: 1 }),
    );
    await expect(conflict).rejects.toMatchObject({ name: 'VersionConflictException' });
    await iot.send(new DeleteThingCommand({ thingName: 's3' }));
    await things.flush();
    const reopened = new ThingRegistry({ dataDir });

    // Assess
    expect(firstFloor.things?.map((t) => t.thingName)).toEqual(['gateway', 's1', 's3']);
    expect(sensors.things?.map((t) => t.thingName)).toEqual(['s1', 's2']);
    expect(nextSensors.things?.map((t) => t.thingName)).toEqual(['s3']);
    expect(nextSensors.nextToken).toBeUndefined();
    expect(updated).toMatchObject({
      thingName: 's2',
      defaultClientId: 's2',
      thingTypeName: 'sensor',
      attributes: { floor: '2', room: 'b' },
      version: 2,
    });
    await expect(iot.send(new DescribeThingCommand({ thingName: 's3' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect(reopened.listThings({}).map((t) => t.thingName)).toEqual(['gateway', 's1', 's2']);
    const type = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'sensor' }));
    expect(type.thingTypeMetadata?.deprecated).toBe(false);
    expect((await iot.send(new ListThingTypesCommand({}))).thingTypes?.map((t) => t.thingTypeName)).toEqual(['sensor']);
  });

  it('puts things in thing groups', async () => {
    // Prepare
    await iot.send(new CreateThingCommand({ thingName: 'lamp' }));
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'building' }));
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'floor1', parentGroupName: 'building' }));

    // Act
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'floor1', thingName: 'lamp' }));
    const direct = await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: 'building' }));
    const recursive = await iot.send(
      new ListThingsInThingGroupCommand({ thingGroupName: 'building', recursive: true }),
    );

    // Assess
    expect(direct.things).toEqual([]);
    expect(recursive.things).toEqual(['lamp']);
  });

  it('attaches, lists and detaches thing principals, and deletes a thing only once none is attached', async () => {
    // Prepare
    const certificate = 'arn:aws:iot:us-east-1:000000000000:cert/0123456789abcdef';
    const identity = 'us-east-1:11111111-2222-3333-4444-555555555555';
    await iot.send(new CreateThingCommand({ thingName: 'meter' }));

    // Act
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'meter', principal: certificate }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'meter', principal: identity }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'meter', principal: certificate }));
    const attached = await iot.send(new ListThingPrincipalsCommand({ thingName: 'meter' }));
    const firstPage = await iot.send(new ListThingPrincipalsCommand({ thingName: 'meter', maxResults: 1 }));
    const refused = iot.send(new DeleteThingCommand({ thingName: 'meter' }));
    await expect(refused).rejects.toMatchObject({ name: 'InvalidRequestException' });
    await things.flush();
    const reopened = new ThingRegistry({ dataDir });
    await iot.send(new DetachThingPrincipalCommand({ thingName: 'meter', principal: certificate }));
    await iot.send(new DetachThingPrincipalCommand({ thingName: 'meter', principal: identity }));
    const detached = await iot.send(new ListThingPrincipalsCommand({ thingName: 'meter' }));
    await iot.send(new DeleteThingCommand({ thingName: 'meter' }));

    // Assess
    expect(attached.principals).toEqual([certificate, identity]);
    expect(firstPage.principals).toEqual([certificate]);
    expect(firstPage.nextToken).toEqual(expect.any(String));
    expect(reopened.listThingPrincipals('meter')).toEqual([certificate, identity]);
    expect(detached.principals).toEqual([]);
    await expect(iot.send(new DescribeThingCommand({ thingName: 'meter' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(iot.send(new ListThingPrincipalsCommand({ thingName: 'meter' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(
      iot.send(new AttachThingPrincipalCommand({ thingName: 'meter', principal: certificate })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('answers an operation it does not implement with an error naming it', async () => {
    // Act
    const answer = await fetch(`${edge.url}/billing-groups/b1`, {
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iot/aws4_request, Signature=x' },
    });

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(((await answer.json()) as { message: string }).message).toContain('GET /billing-groups/b1');
  });
});

describe('a rule created through the API', () => {
  let broker: MqttBroker;
  let edge: EdgeServer;

  afterEach(async () => {
    await closeClients();
    await edge.close();
    await broker.close();
  });

  it('fires on an mqtt.js publish beside the deployed rules', async () => {
    // Prepare
    ({ broker } = await startBroker());
    const rules = new TopicRuleRegistry();
    const { targets, calls } = recordingTargets();
    const engine = new RulesEngine({ registry: rules, targets });
    broker.addObserver(engine);
    await rules.putTopicRule(
      'deployed',
      { sql: "SELECT 'deployed' AS by FROM 'devices/+/telemetry'", actions: [{ lambda: { functionArn: LAMBDA } }] },
      { stackName: 'stack' },
    );
    edge = await startEdgeServer({
      services: [new IotControlPlaneService({ rules, things: new ThingRegistry(), dataEndpoint: broker.host })],
    });
    const iot = new IoTClient({ endpoint: edge.url, region: 'us-east-1', credentials });
    await iot.send(
      new CreateTopicRuleCommand({
        ruleName: 'from_api',
        topicRulePayload: {
          sql: "SELECT 'api' AS by, temperature FROM 'devices/+/telemetry' WHERE temperature > 30",
          actions: [{ lambda: { functionArn: LAMBDA } }],
        },
      }),
    );
    iot.destroy();
    const device = await connect(broker.url, { clientId: 'device-api' });

    // Act
    await device.publishAsync('devices/d1/telemetry', '{"temperature":35}', { qos: 1 });
    await waitFor(() => calls.lambda.length >= 2);
    await engine.idle();

    // Assess
    expect(calls.lambda.map((c) => c.event)).toEqual(
      expect.arrayContaining([{ by: 'deployed' }, { by: 'api', temperature: 35 }]),
    );
    expect(calls.lambda).toHaveLength(2);
  });
});
