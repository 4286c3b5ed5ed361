/**
 * The device policy of serverless.yml (DevicePolicy), evaluated as AWS IoT evaluates it, for the connection of a
 * device whose certificate is attached to its thing: only its own client id, topics and shadow.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluatePolicies, iotResourceArns, type PolicyContext, parsePolicyDocument } from '@iot/local-cloud';
import { parseServerlessYml } from '@iot/testing';
import { basicIngestTopic, shadowTopic, topics } from '@iot/types';
import { devicePolicyDocument, SERVICE_DIR } from './support';

const arns = iotResourceArns('us-east-1', '000000000000');
const policy = parsePolicyDocument(devicePolicyDocument());
const sensor1: PolicyContext = (key) =>
  ({
    'iot:ClientId': 'sensor-1',
    'iot:Connection.Thing.ThingName': 'sensor-1',
    'iot:Connection.Thing.IsAttached': 'true',
  })[key];
const decide = (action: string, resource: string) => evaluatePolicies([policy], action, resource, sensor1);

describe('the device policy (DevicePolicy of serverless.yml)', () => {
  it.each([
    ['connect as itself', 'iot:Connect', arns.client('sensor-1')],
    ['publish its telemetry', 'iot:Publish', arns.topic(topics.telemetry('sensor-1'))],
    [
      'publish its telemetry through Basic Ingest',
      'iot:Publish',
      arns.topic(basicIngestTopic('iot_ingestion_rules_dev_telemetry', topics.telemetry('sensor-1'))),
    ],
    ['answer a command', 'iot:Publish', arns.topic(topics.commandResult('sensor-1', 'c-1'))],
    ['update its shadow', 'iot:Publish', arns.topic(shadowTopic('sensor-1', 'update'))],
    ['subscribe to its commands', 'iot:Subscribe', arns.topicFilter(topics.commands('sensor-1'))],
    ['subscribe to its configuration', 'iot:Subscribe', arns.topicFilter(topics.config('sensor-1'))],
    ['subscribe to its shadow deltas', 'iot:Subscribe', arns.topicFilter(shadowTopic('sensor-1', 'update/delta'))],
    ['receive its commands', 'iot:Receive', arns.topic(topics.commands('sensor-1'))],
    ['receive its shadow documents', 'iot:Receive', arns.topic(shadowTopic('sensor-1', 'get/accepted'))],
  ])('lets a device %s', (_what, action, resource) => {
    // Act
    const decision = decide(action, resource);

    // Assess
    expect(decision).toBe('ALLOW');
  });

  it.each([
    ['connect as another device', 'iot:Connect', arns.client('sensor-2')],
    ["publish another device's telemetry", 'iot:Publish', arns.topic(topics.telemetry('sensor-2'))],
    [
      "publish another's telemetry through Basic Ingest",
      'iot:Publish',
      arns.topic(basicIngestTopic('r', topics.telemetry('sensor-2'))),
    ],
    ['publish on its commands topic', 'iot:Publish', arns.topic(topics.commands('sensor-1'))],
    ["update another device's shadow", 'iot:Publish', arns.topic(shadowTopic('sensor-2', 'update'))],
    ["subscribe to another device's commands", 'iot:Subscribe', arns.topicFilter(topics.commands('sensor-2'))],
    ["subscribe to every device's telemetry", 'iot:Subscribe', arns.topicFilter('devices/+/telemetry')],
    ['subscribe to everything', 'iot:Subscribe', arns.topicFilter('#')],
    ["receive another device's commands", 'iot:Receive', arns.topic(topics.commands('sensor-2'))],
  ])('refuses a device to %s', (_what, action, resource) => {
    // Act
    const decision = decide(action, resource);

    // Assess
    expect(decision).toBe('IMPLICIT_DENY');
  });

  it('allows nothing to a certificate attached to no thing of its client id', () => {
    // Prepare
    const unattached: PolicyContext = (key) =>
      ({ 'iot:ClientId': 'sensor-1', 'iot:Connection.Thing.IsAttached': 'false' })[key];

    // Act
    const decision = evaluatePolicies([policy], 'iot:Connect', arns.client('sensor-1'), unattached);

    // Assess
    expect(decision).toBe('IMPLICIT_DENY');
  });

  it('is named as the functions name it, and its name is an output', () => {
    // Act
    const yml = parseServerlessYml(readFileSync(join(SERVICE_DIR, 'serverless.yml'), 'utf8')) as ReturnType<
      typeof parseServerlessYml
    > & { resources: { Outputs: Record<string, { Value: unknown }> } };

    // Assess
    expect(yml.resources?.Resources?.DevicePolicy?.Properties?.PolicyName).toBe('${self:custom.names.devicePolicy}');
    expect((yml.provider.environment as Record<string, string>).DEVICE_POLICY_NAME).toBe(
      '${self:custom.names.devicePolicy}',
    );
    expect(yml.resources.Outputs.DevicePolicyName?.Value).toEqual({ Ref: 'DevicePolicy' });
  });
});
