import { compileTemplate, type MessageContext, prepareMessage, SqlParseError } from '../src';
import { CONTEXT } from './cases';

const MESSAGE: MessageContext = {
  ...CONTEXT,
  topic: 'my/iot/topic',
  payload: JSON.stringify({ deviceid: 'iot123', temp: 54.98, coords: { latitude: 47.6 }, tags: ['a'], n: null }),
};

/** Section iot-substitution-templates: template -> rendered text. */
const CASES: { name: string; template: string; expected: string; message?: Partial<MessageContext> }[] = [
  { name: 'topic() in a republish topic', template: '${topic()}/republish', expected: 'my/iot/topic/republish' },
  { name: 'a level of the topic', template: 'devices/${topic(2)}/x', expected: 'devices/iot/x' },
  { name: 'payload attributes', template: '${deviceid}-${coords.latitude}', expected: 'iot123-47.6' },
  { name: 'operators and functions', template: '${upper(deviceid) + "!"}', expected: 'IOT123!' },
  { name: 'no expression at all', template: 'plain/text', expected: 'plain/text' },
  {
    name: '$$ escapes a reserved topic',
    template: '$$aws/things/${deviceid}/shadow/update',
    expected: '$aws/things/iot123/shadow/update',
  },
  { name: 'a lone $ is literal', template: 'cost$ ${temp}', expected: 'cost$ 54.98' },
  { name: 'Undefined renders as the empty string', template: 'x${missing}y', expected: 'xy' },
  { name: 'Null renders as null', template: '${n}', expected: 'null' },
  { name: 'arrays render as JSON', template: '${tags}', expected: '["a"]' },
  { name: 'context functions', template: '${clientid()}/${timestamp()}', expected: 'client-1/1481825251155' },
  { name: 'a closing brace inside a string', template: "${concat(deviceid, '}')}", expected: 'iot123}' },
  {
    name: 'a binary payload',
    template: 'device/${device_id}',
    expected: 'device/',
    message: { payload: new Uint8Array([1, 2]) },
  },
  {
    name: 'Basic Ingest topics are seen without their prefix',
    template: '${topic(1)}',
    expected: 'my',
    message: { topic: '$aws/rules/MyRule/my/iot/topic' },
  },
];

describe('substitution templates', () => {
  test.each(CASES)('[iot-substitution-templates] $name', ({ template, expected, message }) => {
    // Prepare
    const render = compileTemplate(template, { sqlVersion: '2016-03-23' });

    // Act
    const text = render({ ...MESSAGE, ...message });

    // Assess
    expect(text).toBe(expected);
  });

  test('[iot-substitution-templates] parse_time as an S3 key', () => {
    // Prepare
    const render = compileTemplate("${parse_time('yyyy', timestamp(), 'UTC')}", { sqlVersion: '2016-03-23' });

    // Act
    const key = render(MESSAGE);

    // Assess
    expect(key).toBe('2016');
  });

  test('a prepared message is parsed once and shared with rules', () => {
    // Prepare
    const render = compileTemplate('${deviceid}');
    const prepared = prepareMessage(MESSAGE);

    // Act
    const first = render(prepared);
    const second = render(prepared);

    // Assess
    expect([first, second]).toEqual(['iot123', 'iot123']);
    expect(prepared.parsed(true)).toBe(prepared.parsed(true));
  });

  test.each([
    ['${', /Expected an expression but found end of input at line 1, column 3 \(offset 2\)/],
    ['a/${topic(}', /Expected an expression but found '}' at line 1, column 11/],
    ['${deviceid', /Expected an operator or '}' but found end of input/],
    ['${nope()}', /Unknown function 'nope' at line 1, column 3/],
  ])('an invalid template %s is rejected with its position', (template, message) => {
    // Prepare
    const compile = () => compileTemplate(template);

    // Act & Assess
    expect(compile).toThrow(SqlParseError);
    expect(compile).toThrow(message);
  });

  test('a template calling a host function renders asynchronously', async () => {
    // Prepare
    const render = compileTemplate("${get_secret('API_KEY', 'SecretString', 'API_KEY_VALUE', 'arn:role')}");
    const getSecret = jest.fn(async (id: string, type: string, key: string | undefined) => `${id}:${type}:${key}`);

    // Act
    const text = await render.renderAsync(MESSAGE, { getSecret });

    // Assess
    expect(render.isAsync).toBe(true);
    expect(text).toBe('API_KEY:SecretString:API_KEY_VALUE');
    expect(() => render(MESSAGE)).toThrow(TypeError);
  });
});
