import type { MessageAttributeValue } from '../../../src/contracts';
import { FilterPolicyError, matchesFilterPolicy, parseFilterPolicy } from '../../../src/services/sns';

const attrs = (values: Record<string, [string, string]>): Record<string, MessageAttributeValue> =>
  Object.fromEntries(
    Object.entries(values).map(([name, [DataType, StringValue]]) => [name, { DataType, StringValue }]),
  );

function matchesAttributes(policy: unknown, attributes: Record<string, MessageAttributeValue>): boolean {
  const parsed = parseFilterPolicy(JSON.stringify(policy), 'MessageAttributes');
  return matchesFilterPolicy(parsed, 'MessageAttributes', { body: 'x', attributes });
}

function matchesBody(policy: unknown, body: unknown): boolean {
  const parsed = parseFilterPolicy(JSON.stringify(policy), 'MessageBody');
  return matchesFilterPolicy(parsed, 'MessageBody', { body: JSON.stringify(body), attributes: {} });
}

describe('SNS filter policies', () => {
  it.each([
    ['exact string', { kind: ['alarm'] }, { kind: ['String', 'alarm'] }, true],
    ['exact string, other value', { kind: ['alarm'] }, { kind: ['String', 'info'] }, false],
    ['one of several strings', { kind: ['info', 'alarm'] }, { kind: ['String', 'alarm'] }, true],
    ['missing attribute', { kind: ['alarm'] }, {}, false],
    ['exact number', { level: [3] }, { level: ['Number', '3.0'] }, true],
    ['number against a String attribute', { level: [3] }, { level: ['String', '3'] }, false],
    ['prefix', { device: [{ prefix: 'dev-' }] }, { device: ['String', 'dev-42'] }, true],
    ['prefix, no match', { device: [{ prefix: 'dev-' }] }, { device: ['String', 'gw-1'] }, false],
    ['suffix', { file: [{ suffix: '.json' }] }, { file: ['String', 'a.json'] }, true],
    ['equals-ignore-case', { kind: [{ 'equals-ignore-case': 'ALARM' }] }, { kind: ['String', 'alarm'] }, true],
    ['anything-but value', { kind: [{ 'anything-but': 'info' }] }, { kind: ['String', 'alarm'] }, true],
    [
      'anything-but list, excluded',
      { kind: [{ 'anything-but': ['info', 'debug'] }] },
      { kind: ['String', 'debug'] },
      false,
    ],
    ['anything-but, missing attribute', { kind: [{ 'anything-but': 'info' }] }, {}, false],
    [
      'anything-but prefix',
      { device: [{ 'anything-but': { prefix: 'test-' } }] },
      { device: ['String', 'test-1'] },
      false,
    ],
    ['numeric range inside', { t: [{ numeric: ['>', 0, '<=', 100] }] }, { t: ['Number', '100'] }, true],
    ['numeric range outside', { t: [{ numeric: ['>', 0, '<=', 100] }] }, { t: ['Number', '100.5'] }, false],
    ['numeric equals', { t: [{ numeric: ['=', 5] }] }, { t: ['Number', '5'] }, true],
    ['numeric lower bound', { t: [{ numeric: ['>=', 30] }] }, { t: ['Number', '29.9'] }, false],
    ['exists true', { kind: [{ exists: true }] }, { kind: ['String', 'x'] }, true],
    ['exists true, missing', { kind: [{ exists: true }] }, {}, false],
    ['exists false, missing', { kind: [{ exists: false }] }, {}, true],
    ['exists false, present', { kind: [{ exists: false }] }, { kind: ['String', 'x'] }, false],
    ['String.Array element', { tags: ['hot'] }, { tags: ['String.Array', '["cold","hot"]'] }, true],
    ['String.Array, no element', { tags: ['hot'] }, { tags: ['String.Array', '["cold"]'] }, false],
    ['cidr', { ip: [{ cidr: '10.0.0.0/24' }] }, { ip: ['String', '10.0.0.17'] }, true],
    ['cidr, outside', { ip: [{ cidr: '10.0.0.0/24' }] }, { ip: ['String', '10.0.1.17'] }, false],
    [
      'all keys must match',
      { kind: ['alarm'], level: [{ numeric: ['>', 2] }] },
      { kind: ['String', 'alarm'], level: ['Number', '1'] },
      false,
    ],
    ['$or', { $or: [{ kind: ['alarm'] }, { level: [{ numeric: ['>', 2] }] }] }, { level: ['Number', '3'] }, true],
  ])('%s', (_name, policy, attributes, expected) => {
    // Prepare
    const message = attrs(attributes as Record<string, [string, string]>);

    // Act
    const matched = matchesAttributes(policy, message);

    // Assess
    expect(matched).toBe(expected);
  });

  it.each([
    ['nested field', { reading: { temperature: [{ numeric: ['>', 30] }] } }, { reading: { temperature: 31 } }, true],
    [
      'nested field, no match',
      { reading: { temperature: [{ numeric: ['>', 30] }] } },
      { reading: { temperature: 20 } },
      false,
    ],
    ['array field', { tags: ['hot'] }, { tags: ['cold', 'hot'] }, true],
    ['array of objects', { readings: { kind: ['alarm'] } }, { readings: [{ kind: 'info' }, { kind: 'alarm' }] }, true],
    ['boolean', { active: [true] }, { active: true }, true],
    ['string does not equal a number', { id: ['5'] }, { id: 5 }, false],
    ['exists false on a missing nested object', { meta: { source: [{ exists: false }] } }, { other: 1 }, true],
  ])('message body: %s', (_name, policy, body, expected) => {
    // Act
    const matched = matchesBody(policy, body);

    // Assess
    expect(matched).toBe(expected);
  });

  it('does not match a body that is not JSON', () => {
    // Prepare
    const policy = parseFilterPolicy('{"kind":["alarm"]}', 'MessageBody');

    // Act
    const matched = matchesFilterPolicy(policy, 'MessageBody', { body: 'plain text', attributes: {} });

    // Assess
    expect(matched).toBe(false);
  });

  it.each([
    ['not JSON', '{kind', 'MessageAttributes', /parse JSON/],
    ['a value that is not an array', '{"kind":"alarm"}', 'MessageAttributes', /must be an array/],
    ['nesting in attribute scope', '{"a":{"b":["c"]}}', 'MessageAttributes', /does not support nested/],
    ['an unknown operator', '{"a":[{"like":"x"}]}', 'MessageAttributes', /Unrecognized match type/],
    ['an inverted range', '{"a":[{"numeric":[">",10,"<",5]}]}', 'MessageAttributes', /Bottom must be less than top/],
    ['a bad exists', '{"a":[{"exists":"yes"}]}', 'MessageBody', /exists/],
  ] as const)('rejects %s', (_name, text, scope, reason) => {
    // Act
    const parse = () => parseFilterPolicy(text, scope);

    // Assess
    expect(parse).toThrow(FilterPolicyError);
    expect(parse).toThrow(reason);
  });
});
