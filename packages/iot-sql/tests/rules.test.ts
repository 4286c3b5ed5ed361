import {
  compileRule,
  parseBasicIngestTopic,
  prepareMessage,
  serializeOutput,
  topicMatchesFilter,
  WholeDecimal,
} from '../src';
import { CONTEXT } from './cases';

describe('topic filters [iot-sql-from]', () => {
  test.each([
    ['topic/subtopic', 'topic/subtopic', true],
    ['topic/subtopic', 'topic/subtopic-2', false],
    ['topic/#', 'topic/subtopic', true],
    ['topic/#', 'topic/subtopic-3/details', true],
    ['topic/#', 'topic', true],
    ['topic/#', 'topic-2/subtopic-x', false],
    ['topic/+', 'topic/subtopic', true],
    ['topic/+', 'topic/subtopic-3/details', false],
    ['topic/+', 'topic/', true],
    ['+/x', 'a/x', true],
    ['#', 'anything/at/all', true],
    ['#', '$aws/things/t/shadow/update', false],
    ['+/things/#', '$aws/things/t', false],
    ['$aws/things/+/shadow/update/accepted', '$aws/things/t1/shadow/update/accepted', true],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    // Prepare
    const rule = compileRule(`SELECT * FROM '${filter}'`);

    // Act
    const matched = [topicMatchesFilter(filter, topic), rule.matchesTopic(topic)];

    // Assess
    expect(matched).toEqual([expected, expected]);
  });

  test('a rule without FROM matches no topic (Basic Ingest only)', () => {
    // Prepare
    const rule = compileRule('SELECT *');

    // Act & Assess
    expect(rule.topicFilter).toBeUndefined();
    expect(rule.matchesTopic('a')).toBe(false);
  });
});

describe('Basic Ingest [iot-basic-ingest]', () => {
  test('the prefix names the rule and is left out of the topic', () => {
    // Prepare
    const topic = '$aws/rules/BuildingManager/Buildings/Building5/Floor2/Room201/Lights';

    // Act
    const parsed = parseBasicIngestTopic(topic);

    // Assess
    expect(parsed).toEqual({ ruleName: 'BuildingManager', topic: 'Buildings/Building5/Floor2/Room201/Lights' });
    expect(parseBasicIngestTopic('Buildings/Building5')).toBeUndefined();
    expect(parseBasicIngestTopic('$aws/rules/')).toBeUndefined();
  });
});

describe('evaluation API', () => {
  test('a prepared message is shared by rules of both versions', () => {
    // Prepare
    const v1 = compileRule("SELECT * FROM 'a'");
    const v2 = compileRule("SELECT * FROM 'a'", { sqlVersion: '2016-03-23' });
    const message = prepareMessage({ ...CONTEXT, topic: 'a', payload: '{"t":10.0}' });

    // Act
    const outputs = [v1.evaluate(message), v2.evaluate(message)].map((r) => (r.matched ? r.output : 'no match'));

    // Assess
    expect(outputs[0]).toEqual({ t: new WholeDecimal(10) });
    expect(outputs[1]).toEqual({ t: 10 });
    expect(serializeOutput(outputs[0])).toBe('{"t":10.0}');
    expect(JSON.stringify(outputs[0])).toBe('{"t":10}');
  });

  test('serializeOutput keeps bytes and writes Undefined as the empty string', () => {
    // Prepare
    const bytes = new Uint8Array([1, 2]);

    // Act & Assess
    expect(serializeOutput(bytes)).toBe(bytes);
    expect(serializeOutput(undefined)).toBe('');
  });

  test('timestamp() defaults to the time of evaluation and newuuid() to random UUIDs', () => {
    // Prepare
    const rule = compileRule("SELECT timestamp() AS ts, newuuid() AS id FROM 'a'");
    const before = Date.now();

    // Act
    const result = rule.evaluate({ topic: 'a', payload: '{}' });

    // Assess
    expect(result.matched).toBe(true);
    if (!result.matched) return;
    const output = result.output as { ts: number; id: string };
    expect(output.ts).toBeGreaterThanOrEqual(before);
    expect(output.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('host functions [iot-sql-functions: aws_lambda, get_thing_shadow, get_dynamodb]', () => {
  const message = { ...CONTEXT, topic: 'topic-filter', payload: '{"attribute1":21,"attribute2":"value","id":"d1"}' };

  test('a rule without host functions stays synchronous', async () => {
    // Prepare
    const rule = compileRule("SELECT attribute1 FROM 'topic-filter'");

    // Act
    const results = [rule.evaluate(message), await rule.evaluateAsync(message)];

    // Assess
    expect(rule.isAsync).toBe(false);
    expect(results).toEqual([
      { matched: true, output: { attribute1: 21 } },
      { matched: true, output: { attribute1: 21 } },
    ]);
  });

  test('aws_lambda receives the evaluated input and its result can be navigated', async () => {
    // Prepare
    const rule = compileRule(
      "SELECT aws_lambda('arn:aws:lambda:us-east-1:1:function:f', {\"payload\":attribute1}).some.value as output FROM 'topic-filter'",
      { sqlVersion: '2016-03-23' },
    );
    const awsLambda = jest.fn(async (_arn: string, input: unknown) => ({ some: { value: input } }));

    // Act
    const result = await rule.evaluateAsync({ ...message, hooks: { awsLambda } });

    // Assess
    expect(rule.isAsync).toBe(true);
    expect(() => rule.evaluate(message)).toThrow(TypeError);
    expect(awsLambda).toHaveBeenCalledTimes(1);
    expect(awsLambda).toHaveBeenCalledWith('arn:aws:lambda:us-east-1:1:function:f', { payload: 21 });
    expect(result).toEqual({ matched: true, output: { output: { payload: 21 } } });
  });

  test('get_thing_shadow in WHERE, named and unnamed, each called once', async () => {
    // Prepare
    const rule = compileRule(
      "SELECT * FROM 'topic-filter' WHERE get_thing_shadow(id, 'arn:role').state.reported.alarm = 'ON' AND get_thing_shadow(id, 'named', 'arn:role').x = 1",
      { sqlVersion: '2016-03-23' },
    );
    const getThingShadow = jest.fn((thing: string, shadow: string | undefined) =>
      Promise.resolve(shadow === undefined ? { state: { reported: { alarm: 'ON', thing } } } : { x: 1 }),
    );

    // Act
    const result = await rule.evaluateAsync(message, { getThingShadow });

    // Assess
    expect(result.matched).toBe(true);
    expect(getThingShadow.mock.calls).toEqual([
      ['d1', undefined, 'arn:role'],
      ['d1', 'named', 'arn:role'],
    ]);
  });

  test('a host call whose WHERE fails is never made for SELECT', async () => {
    // Prepare
    const rule = compileRule(
      "SELECT get_dynamodb('InServiceDevices', 'deviceId', id, 'arn:role').location AS location FROM 'topic-filter' WHERE attribute1 > 100",
      { sqlVersion: '2016-03-23' },
    );
    const getDynamoDb = jest.fn(async () => ({ location: 'x' }));

    // Act
    const result = await rule.evaluateAsync(message, { getDynamoDb });

    // Assess
    expect(result).toEqual({ matched: false });
    expect(getDynamoDb).not.toHaveBeenCalled();
  });

  test('get_dynamodb with a composite key, nested in another host call', async () => {
    // Prepare
    const rule = compileRule(
      "SELECT VALUE aws_lambda('arn:f', get_dynamodb('T', 'pk', id, 'sk', 2, 'arn:role')) FROM 'topic-filter'",
      { sqlVersion: '2016-03-23' },
    );
    const getDynamoDb = jest.fn(async (request: unknown) => ({ request }));
    const awsLambda = jest.fn(async (_arn: string, input: unknown) => ({ echoed: input }));

    // Act
    const result = await rule.evaluateAsync(message, { getDynamoDb, awsLambda });

    // Assess
    const request = {
      tableName: 'T',
      partitionKeyName: 'pk',
      partitionKeyValue: 'd1',
      sortKeyName: 'sk',
      sortKeyValue: 2,
      roleArn: 'arn:role',
    };
    expect(result).toEqual({ matched: true, output: { echoed: { request } } });
    expect(awsLambda).toHaveBeenCalledTimes(1);
  });

  test('a missing hook and a failing hook reject the evaluation', async () => {
    // Prepare
    const rule = compileRule("SELECT aws_lambda('arn:f', *) AS r FROM 'topic-filter'", { sqlVersion: '2016-03-23' });
    const failing = { awsLambda: async () => Promise.reject(new Error('function failed')) };

    // Act & Assess
    await expect(rule.evaluateAsync(message)).rejects.toThrow(/no awsLambda hook/);
    await expect(rule.evaluateAsync(message, failing)).rejects.toThrow('function failed');
  });

  test('a host function with a non-string name argument is Undefined without a call', async () => {
    // Prepare
    const rule = compileRule("SELECT aws_lambda(attribute1, *) AS r, 1 AS one FROM 'topic-filter'");
    const awsLambda = jest.fn();

    // Act
    const result = await rule.evaluateAsync(message, { awsLambda });

    // Assess
    expect(result).toEqual({ matched: true, output: { one: 1 } });
    expect(awsLambda).not.toHaveBeenCalled();
  });
});
