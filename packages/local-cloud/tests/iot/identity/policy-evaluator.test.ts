import {
  evaluatePolicies,
  iotResourceArns,
  MalformedPolicyError,
  type PolicyContext,
  parsePolicyDocument,
} from '../../../src/iot/identity/policy-evaluator';

const PREFIX = 'arn:aws:iot:us-east-1:000000000000';
const arns = iotResourceArns('us-east-1', '000000000000');

/** A connection of client `sensor-1` whose certificate is attached to the thing `sensor-1` (site north). */
const attached: PolicyContext = (key) =>
  ({
    'iot:ClientId': 'sensor-1',
    'iot:Connection.Thing.ThingName': 'sensor-1',
    'iot:Connection.Thing.ThingTypeName': 'sensor',
    'iot:Connection.Thing.IsAttached': 'true',
    'iot:Connection.Thing.Attributes[site]': 'north',
  })[key];

/** A connection whose certificate is attached to no thing named as its client id. */
const unattached: PolicyContext = (key) =>
  ({ 'iot:ClientId': 'sensor-1', 'iot:Connection.Thing.IsAttached': 'false' })[key];

const policy = (statements: unknown[], version = '2012-10-17') =>
  parsePolicyDocument(JSON.stringify({ Version: version, Statement: statements }));

const deviceOwnTopics = policy([
  { Effect: 'Allow', Action: 'iot:Connect', Resource: `${PREFIX}:client/\${iot:Connection.Thing.ThingName}` },
  {
    Effect: 'Allow',
    Action: ['iot:Publish', 'iot:Receive'],
    Resource: [
      `${PREFIX}:topic/devices/\${iot:Connection.Thing.ThingName}/*`,
      `${PREFIX}:topic/$aws/things/\${iot:Connection.Thing.ThingName}/shadow/*`,
    ],
  },
  {
    Effect: 'Allow',
    Action: 'iot:Subscribe',
    Resource: `${PREFIX}:topicfilter/devices/\${iot:Connection.Thing.ThingName}/*`,
  },
]);

describe('IoT policy evaluation', () => {
  it.each([
    ['its own client id', 'iot:Connect', arns.client('sensor-1'), attached, 'ALLOW'],
    ['another client id', 'iot:Connect', arns.client('sensor-2'), attached, 'IMPLICIT_DENY'],
    ['its own telemetry', 'iot:Publish', arns.topic('devices/sensor-1/telemetry'), attached, 'ALLOW'],
    ["another device's telemetry", 'iot:Publish', arns.topic('devices/sensor-2/telemetry'), attached, 'IMPLICIT_DENY'],
    ['its own shadow update', 'iot:Publish', arns.topic('$aws/things/sensor-1/shadow/update'), attached, 'ALLOW'],
    ["another's shadow", 'iot:Publish', arns.topic('$aws/things/sensor-2/shadow/update'), attached, 'IMPLICIT_DENY'],
    ['receiving its commands', 'iot:Receive', arns.topic('devices/sensor-1/commands'), attached, 'ALLOW'],
    ['a filter of its own', 'iot:Subscribe', arns.topicFilter('devices/sensor-1/commands'), attached, 'ALLOW'],
    ['the fleet-wide filter', 'iot:Subscribe', arns.topicFilter('devices/+/telemetry'), attached, 'IMPLICIT_DENY'],
    ['a topic ARN for Subscribe', 'iot:Subscribe', arns.topic('devices/sensor-1/commands'), attached, 'IMPLICIT_DENY'],
    [
      'anything when not attached',
      'iot:Publish',
      arns.topic('devices/sensor-1/telemetry'),
      unattached,
      'IMPLICIT_DENY',
    ],
    ['connecting when not attached', 'iot:Connect', arns.client('sensor-1'), unattached, 'IMPLICIT_DENY'],
    ['an action no statement names', 'iot:GetThingShadow', arns.topic('devices/sensor-1/x'), attached, 'IMPLICIT_DENY'],
  ] as const)('the default device policy decides %s', (_what, action, resource, context, expected) => {
    // Act
    const decision = evaluatePolicies([deviceOwnTopics], action, resource, context);

    // Assess
    expect(decision).toBe(expected);
  });

  it.each([
    ['* spans levels', `${PREFIX}:topic/a/*`, 'a/b/c', 'ALLOW'],
    ['? is one character', `${PREFIX}:topic/room-?`, 'room-7', 'ALLOW'],
    ['? is not two characters', `${PREFIX}:topic/room-?`, 'room-17', 'IMPLICIT_DENY'],
    ['resources are case-sensitive', `${PREFIX}:topic/Room`, 'room', 'IMPLICIT_DENY'],
    ['+ is a literal character', `${PREFIX}:topic/a/+`, 'a/b', 'IMPLICIT_DENY'],
    ['+ matches itself', `${PREFIX}:topic/a/+`, 'a/+', 'ALLOW'],
    ['a bare * is every resource', '*', 'anything/at/all', 'ALLOW'],
    ['regex characters are literal', `${PREFIX}:topic/a.(b)`, 'aX(b)', 'IMPLICIT_DENY'],
  ] as const)('matches resources: %s', (_what, pattern, topic, expected) => {
    // Prepare
    const document = policy([{ Effect: 'Allow', Action: 'iot:Publish', Resource: pattern }]);

    // Act
    const decision = evaluatePolicies([document], 'iot:Publish', arns.topic(topic), attached);

    // Assess
    expect(decision).toBe(expected);
  });

  it.each([
    ['iot:*', 'iot:Subscribe', 'ALLOW'],
    ['*', 'iot:Receive', 'ALLOW'],
    ['iot:Pub*', 'iot:Publish', 'ALLOW'],
    ['IOT:PUBLISH', 'iot:Publish', 'ALLOW'],
    ['iot:Publish', 'iot:Subscribe', 'IMPLICIT_DENY'],
  ] as const)('matches actions case-insensitively with wildcards: %s for %s', (pattern, action, expected) => {
    // Prepare
    const document = policy([{ Effect: 'Allow', Action: pattern, Resource: '*' }]);

    // Act
    const decision = evaluatePolicies([document], action, arns.topic('t'), attached);

    // Assess
    expect(decision).toBe(expected);
  });

  it.each([
    ['${iot:ClientId}', 'devices/sensor-1', 'ALLOW'],
    ['${iot:Connection.Thing.Attributes[site]}', 'devices/north', 'ALLOW'],
    ['${iot:Connection.Thing.Attributes[site]}', 'devices/south', 'IMPLICIT_DENY'],
    ['${iot:Connection.Thing.Attributes[floor]}', 'devices/', 'IMPLICIT_DENY'],
    ['${iot:Connection.Thing.ThingTypeName}', 'devices/sensor', 'ALLOW'],
    ['${*}', 'devices/*', 'ALLOW'],
    ['${*}', 'devices/anything', 'IMPLICIT_DENY'],
  ] as const)('substitutes %s (topic %s)', (variable, topic, expected) => {
    // Prepare
    const document = policy([
      { Effect: 'Allow', Action: 'iot:Publish', Resource: `${PREFIX}:topic/devices/${variable}` },
    ]);

    // Act
    const decision = evaluatePolicies([document], 'iot:Publish', arns.topic(topic), attached);

    // Assess
    expect(decision).toBe(expected);
  });

  it('takes a substituted value literally: a client id holding * is no wildcard', () => {
    // Prepare
    const document = policy([{ Effect: 'Allow', Action: 'iot:Publish', Resource: `${PREFIX}:topic/\${iot:ClientId}` }]);
    const starry: PolicyContext = (key) => (key === 'iot:ClientId' ? 'a*' : undefined);

    // Act
    const literal = evaluatePolicies([document], 'iot:Publish', arns.topic('a*'), starry);
    const widened = evaluatePolicies([document], 'iot:Publish', arns.topic('abc'), starry);

    // Assess
    expect(literal).toBe('ALLOW');
    expect(widened).toBe('IMPLICIT_DENY');
  });

  it('does not substitute variables in a 2008-10-17 document', () => {
    // Prepare
    const document = policy(
      [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `${PREFIX}:topic/\${iot:ClientId}` }],
      '2008-10-17',
    );

    // Act
    const substituted = evaluatePolicies([document], 'iot:Publish', arns.topic('sensor-1'), attached);
    const literal = evaluatePolicies([document], 'iot:Publish', arns.topic('${iot:ClientId}'), attached);

    // Assess
    expect(substituted).toBe('IMPLICIT_DENY');
    expect(literal).toBe('ALLOW');
  });

  it('lets an explicit Deny win over an Allow, in the same policy or another', () => {
    // Prepare
    const allowAll = policy([{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }]);
    const denyAlarms = policy([{ Effect: 'Deny', Action: 'iot:Publish', Resource: `${PREFIX}:topic/alarms/*` }]);
    const both = policy([
      { Effect: 'Allow', Action: 'iot:*', Resource: '*' },
      { Effect: 'Deny', Action: 'iot:Publish', Resource: `${PREFIX}:topic/alarms/*` },
    ]);

    // Act
    const acrossPolicies = evaluatePolicies([allowAll, denyAlarms], 'iot:Publish', arns.topic('alarms/x'), attached);
    const inOnePolicy = evaluatePolicies([both], 'iot:Publish', arns.topic('alarms/x'), attached);
    const elsewhere = evaluatePolicies([allowAll, denyAlarms], 'iot:Publish', arns.topic('other/x'), attached);

    // Assess
    expect(acrossPolicies).toBe('EXPLICIT_DENY');
    expect(inOnePolicy).toBe('EXPLICIT_DENY');
    expect(elsewhere).toBe('ALLOW');
  });

  it('denies by default: no policy, or no statement that applies', () => {
    // Act
    const none = evaluatePolicies([], 'iot:Connect', arns.client('sensor-1'), attached);

    // Assess
    expect(none).toBe('IMPLICIT_DENY');
  });

  it('honours NotAction and NotResource', () => {
    // Prepare
    const document = policy([{ Effect: 'Allow', NotAction: 'iot:Subscribe', NotResource: `${PREFIX}:topic/secret/*` }]);

    // Act
    const publish = evaluatePolicies([document], 'iot:Publish', arns.topic('open/x'), attached);
    const secret = evaluatePolicies([document], 'iot:Publish', arns.topic('secret/x'), attached);
    const subscribe = evaluatePolicies([document], 'iot:Subscribe', arns.topicFilter('open/x'), attached);

    // Assess
    expect([publish, secret, subscribe]).toEqual(['ALLOW', 'IMPLICIT_DENY', 'IMPLICIT_DENY']);
  });

  it.each([
    [{ Bool: { 'iot:Connection.Thing.IsAttached': 'true' } }, attached, 'ALLOW'],
    [{ Bool: { 'iot:Connection.Thing.IsAttached': ['true'] } }, unattached, 'IMPLICIT_DENY'],
    [{ Bool: { 'iot:Connection.Thing.IsAttached': true } }, attached, 'ALLOW'],
    [{ StringEquals: { 'iot:Connection.Thing.Attributes[site]': 'north' } }, attached, 'ALLOW'],
    [{ StringEquals: { 'iot:Connection.Thing.Attributes[site]': ['south', 'west'] } }, attached, 'IMPLICIT_DENY'],
    [{ StringNotEquals: { 'iot:Connection.Thing.Attributes[site]': 'south' } }, attached, 'ALLOW'],
    [{ StringEqualsIgnoreCase: { 'iot:Connection.Thing.Attributes[site]': 'NORTH' } }, attached, 'ALLOW'],
    [{ StringLike: { 'iot:ClientId': 'sensor-*' } }, attached, 'ALLOW'],
    [{ StringNotLike: { 'iot:ClientId': 'sensor-*' } }, attached, 'IMPLICIT_DENY'],
    [{ StringEquals: { 'iot:Connection.Thing.Attributes[floor]': '1' } }, attached, 'IMPLICIT_DENY'],
    [{ StringEqualsIfExists: { 'iot:Connection.Thing.Attributes[floor]': '1' } }, attached, 'ALLOW'],
    [{ Null: { 'iot:Connection.Thing.ThingName': 'true' } }, unattached, 'ALLOW'],
    [{ Null: { 'iot:Connection.Thing.ThingName': 'true' } }, attached, 'IMPLICIT_DENY'],
    [{ StringEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingName}' } }, attached, 'ALLOW'],
  ] as const)('evaluates the condition %j', (condition, context, expected) => {
    // Prepare
    const document = policy([{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: condition }]);

    // Act
    const decision = evaluatePolicies([document], 'iot:Connect', arns.client('sensor-1'), context);

    // Assess
    expect(decision).toBe(expected);
  });

  it.each([
    ['not JSON', '{"Version": ', /not valid JSON/],
    ['no statement', '{"Version":"2012-10-17","Statement":[]}', /no Statement/],
    ['an unknown version', '{"Version":"2020-01-01","Statement":[]}', /Version must be/],
    ['a bad effect', '{"Statement":[{"Effect":"Maybe","Action":"iot:*","Resource":"*"}]}', /Effect must be/],
    ['no action', '{"Statement":[{"Effect":"Allow","Resource":"*"}]}', /Action and NotAction/],
    ['no resource', '{"Statement":[{"Effect":"Allow","Action":"iot:*"}]}', /Resource and NotResource/],
    ['a foreign action', '{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}', /not an AWS IoT/],
    ['an empty action list', '{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}', /non-empty list/],
    [
      'an unknown operator',
      '{"Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*","Condition":{"Fuzzy":{"a":"b"}}}]}',
      /unsupported condition operator Fuzzy/,
    ],
    [
      'a document over 2048 characters',
      JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: 'x'.repeat(2100) }] }),
      /exceeds 2048/,
    ],
  ])('refuses a document with %s', (_what, text, message) => {
    // Act
    const parse = () => parsePolicyDocument(text);

    // Assess
    expect(parse).toThrow(MalformedPolicyError);
    expect(parse).toThrow(message);
  });

  it('accepts a single statement object and a single action string', () => {
    // Act
    const parsed = parsePolicyDocument(
      '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}}',
    );

    // Assess
    expect(parsed.statements).toEqual([
      { effect: 'Allow', actions: ['iot:Connect'], resources: ['*'], conditions: [] },
    ]);
  });
});
