import { compileRule, parseSql, SqlParseError, validateSql } from '../src';

/** Statements AWS IoT rejects, with the position and expectation the error must name. */
const INVALID: [sql: string, message: RegExp][] = [
  ['', /Expected SELECT but found end of input at line 1, column 1 \(offset 0\)/],
  ["SELECT FROM 'a'", /Expected an expression but found 'FROM' at line 1, column 8 \(offset 7\)/],
  ['SELECT a FROM a/b', /Expected a topic filter in single quotes but found 'a' at line 1, column 15/],
  ['SELECT a FROM "a/b"', /Expected a topic filter in single quotes/],
  ["SELECT a,\n  b c FROM 'a'", /Expected ',', FROM or WHERE but found 'c' at line 2, column 5 \(offset 14\)/],
  ["SELECT a FROM 'a' WHERE", /Expected an expression but found end of input at line 1, column 24/],
  ["SELECT a FROM 'a' WHERE b >", /Expected an expression but found end of input/],
  ["SELECT a FROM 'a' WHERE b c", /Expected an operator or the end of the statement but found 'c'/],
  ["SELECT a FROM 'a' b", /Expected WHERE or the end of the statement but found 'b'/],
  ["SELECT 'abc FROM 'a'", /Expected ',', FROM or WHERE but found 'a' at line 1, column 19/],
  ["SELECT 'abc", /Unterminated string literal \(expected a closing '\) at line 1, column 8/],
  ["SELECT a FROM 'a' -- comment", /Expected WHERE or the end of the statement but found '-'/],
  ["SELECT a # b FROM 'a'", /Unexpected character '#' at line 1, column 10/],
  ["SELECT a., b FROM 'a'", /Expected an attribute name after "." but found ','/],
  ["SELECT a[1 FROM 'a'", /Expected '\]' but found 'FROM'/],
  ["SELECT (a FROM 'a'", /Expected '\)' but found 'FROM'/],
  ["SELECT 12abc FROM 'a'", /Expected an operator or the end of the number but found 'a'/],
  ["SELECT a AS FROM 'a'", /Expected ',', FROM or WHERE but found the string 'a'/],
  ["SELECT a AS 'b' FROM 'a'", /Expected a name after AS but found the string 'b'/],
  ["SELECT *, * FROM 'a'", /'\*' may appear only once in SELECT at line 1, column 11/],
  ["SELECT cast(a) FROM 'a'", /Expected AS but found '\)'/],
  ["SELECT a FROM 'a/#/b'", /Invalid topic filter: '#' must be a whole level and the last one at line 1, column 15/],
  ["SELECT a FROM 'a/b+'", /Invalid topic filter: '\+' must be a whole level/],
  ["SELECT a FROM ''", /Invalid topic filter: a topic filter cannot be empty/],
  ["SELECT select FROM 'a'", /Expected an expression but found 'select'/],
  ["SELECT a FROM 'a';", /Unexpected character ';'/],
];

describe('parse errors', () => {
  test.each(INVALID)('%j is rejected', (sql, message) => {
    // Prepare
    const compile = () => compileRule(sql, { sqlVersion: '2016-03-23' });

    // Act & Assess
    expect(compile).toThrow(SqlParseError);
    expect(compile).toThrow(message);
  });

  test('the error names line, column, offset, expected and found', () => {
    // Prepare
    const sql = "SELECT a\nFROM 'x'\nWHERE b = = 1";

    // Act
    const result = validateSql(sql);

    // Assess
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ line: 3, column: 11, offset: 28, expected: 'an expression', found: "'='" });
  });

  test('validateSql reports a valid rule', () => {
    // Prepare
    const sql = "SELECT aws_lambda('arn:aws:lambda:us-east-1:1:function:f', *) AS r FROM 'a/+'";

    // Act
    const result = validateSql(sql, '2016-03-23');

    // Assess
    expect(result).toEqual({ ok: true, topicFilter: 'a/+', sqlVersion: '2016-03-23', isAsync: true });
  });

  test('an unknown SQL version is rejected', () => {
    // Prepare
    const compile = () => compileRule("SELECT a FROM 'a'", { sqlVersion: '2020-01-01' });

    // Act & Assess
    expect(compile).toThrow(/Unknown SQL version '2020-01-01'/);
  });

  test('beta is read as 2016-03-23 and the default is 2015-10-08', () => {
    // Prepare
    const sql = "SELECT a FROM 'a'";

    // Act
    const versions = [compileRule(sql, { sqlVersion: 'beta' }).sqlVersion, compileRule(sql).sqlVersion];

    // Assess
    expect(versions).toEqual(['2016-03-23', '2015-10-08']);
  });

  test('parseSql returns the syntax tree with offsets', () => {
    // Prepare
    const sql = "SELECT VALUE a.b[0] FROM 'x/#' WHERE c IN [1]";

    // Act
    const ast = parseSql(sql);

    // Assess
    expect(ast).toMatchObject({
      selectValue: true,
      topicFilter: 'x/#',
      items: [
        {
          kind: 'column',
          expression: { kind: 'index', object: { kind: 'member', property: 'b', object: { name: 'a' } } },
        },
      ],
      where: { kind: 'binary', operator: 'IN', offset: 39 },
    });
  });
});
