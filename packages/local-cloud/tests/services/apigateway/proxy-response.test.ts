import { parseProxyResponse } from '../../../src/services/apigateway/proxy-response';

const json = { binaryMediaTypes: [] };

describe('parseProxyResponse', () => {
  it('accepts a numeric string status code and a null body', () => {
    // Act
    const parsed = parseProxyResponse({ statusCode: '404', body: null }, json);

    // Assess
    expect(parsed).toMatchObject({ ok: true, response: { statusCode: 404, body: Buffer.alloc(0) } });
  });

  it('merges headers into multiValueHeaders, which win for a header in both', () => {
    // Act
    const parsed = parseProxyResponse(
      {
        headers: { 'Content-Type': 'text/plain', 'X-Trace': 'single' },
        multiValueHeaders: { 'x-trace': ['one', 'two'] },
      },
      json,
    );

    // Assess
    expect(parsed.ok && parsed.response.headers).toEqual([
      ['x-trace', ['one', 'two']],
      ['Content-Type', ['text/plain']],
    ]);
  });

  it('drops the headers the gateway computes from what it sends', () => {
    // Act
    const parsed = parseProxyResponse({ headers: { 'Content-Length': '999', Connection: 'close' }, body: 'hi' }, json);

    // Assess
    expect(parsed.ok && parsed.response.headers).toEqual([['Content-Type', ['application/json']]]);
  });

  it.each([
    [{ statusCode: 42 }, /statusCode/],
    [{ statusCode: 200.5 }, /statusCode/],
    [{ isBase64Encoded: 'yes' }, /isBase64Encoded/],
    [{ headers: ['a'] }, /headers/],
    [{ multiValueHeaders: { a: [1] } }, /multiValueHeaders/],
    [{ headers: { 'Bad Name': 'x' } }, /cannot be sent/],
    [null, /JSON object/],
    [[], /JSON object/],
  ])('calls %j malformed', (payload, reason) => {
    // Act
    const parsed = parseProxyResponse(payload, json);

    // Assess
    expect(parsed).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });
});
