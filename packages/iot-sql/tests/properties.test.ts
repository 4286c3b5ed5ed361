import fc from 'fast-check';
import { type CompiledRule, compileRule, compileTemplate, parseSql, SqlParseError, serializeOutput } from '../src';
import { FUNCTIONS } from '../src/functions';
import { CONTEXT } from './cases';

const TOKENS = [
  'SELECT',
  'VALUE',
  '*',
  ',',
  'a',
  'b.c',
  'd[0]',
  'AS',
  'x.y',
  'FROM',
  "'t/#'",
  "'t/+/x'",
  'WHERE',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ':',
  '.',
  "'s'",
  '"s"',
  '1',
  '2.5',
  '1e3',
  '+',
  '-',
  '/',
  '%',
  '=',
  '<>',
  '<',
  '>=',
  'AND',
  'OR',
  'NOT',
  'IN',
  'CONTAINS',
  'CASE',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'null',
  'true',
  'abs',
  'get',
  'concat',
  'topic',
  'cast',
  'Int',
  '(SELECT',
  "'",
  '\\',
  '\n',
];

const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 25 }).map((t) => t.join(' '));
const sqlLike = fc.oneof(
  tokenSoup,
  fc.string({ maxLength: 60 }),
  tokenSoup.map((s) => `SELECT ${s}`),
);

function onlyParseErrors(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (error) {
    return error instanceof SqlParseError;
  }
}

/** Rules that call every evaluable function with attributes of arbitrary type, and every operator. */
function rulesOverEveryFunction(version: '2015-10-08' | '2016-03-23'): CompiledRule[] {
  const sources: string[] = [];
  for (const [name, spec] of Object.entries(FUNCTIONS)) {
    if (spec.external || spec.unsupported || (spec.v2Only && version === '2015-10-08')) continue;
    const args = ['a', 'b', 'c'].slice(0, Math.max(spec.min, Math.min(spec.max, 3)));
    sources.push(`SELECT ${name}(${args.join(', ')}) AS r, * FROM 't' WHERE ${name}(${args.join(', ')}) <> 'x'`);
  }
  for (const op of ['+', '-', '*', '/', '%', '=', '<>', '<', '<=', '>', '>=', 'AND', 'OR', 'IN', 'CONTAINS']) {
    sources.push(`SELECT a ${op} b AS r, NOT c AS n, -a AS m, CASE a WHEN b THEN c END AS k FROM 't' WHERE a ${op} b`);
  }
  for (const type of ['String', 'Int', 'Double', ...(version === '2016-03-23' ? ['Decimal', 'Boolean'] : [])]) {
    sources.push(`SELECT cast(a AS ${type}) AS r, a[1] AS i, a.b.c AS p FROM 't'`);
  }
  if (version === '2016-03-23') {
    sources.push("SELECT (SELECT VALUE x FROM a WHERE y > 1) AS r, [a, b] AS l, {'k': c} AS o FROM 't'");
    sources.push("SELECT VALUE (SELECT *, 1 AS one FROM b) FROM 't'");
  }
  return sources.map((sql) => compileRule(sql, { sqlVersion: version }));
}

const anyPayload = fc.oneof(
  fc.record({ a: fc.jsonValue(), b: fc.jsonValue(), c: fc.jsonValue() }).map((o) => JSON.stringify(o)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }),
);

describe('properties', () => {
  test('the parser only ever throws SqlParseError', () => {
    // Prepare
    const property = fc.property(sqlLike, (sql) => onlyParseErrors(() => parseSql(sql)));

    // Act & Assess
    fc.assert(property, { numRuns: 1500 });
  });

  test('compiling (both versions) and templates only ever throw SqlParseError', () => {
    // Prepare
    const property = fc.property(sqlLike, fc.constantFrom('2015-10-08', '2016-03-23'), (sql, sqlVersion) => {
      return (
        onlyParseErrors(() => compileRule(sql, { sqlVersion })) &&
        onlyParseErrors(() => compileTemplate(`x/\${${sql}}/y`, { sqlVersion }))
      );
    });

    // Act & Assess
    fc.assert(property, { numRuns: 1500 });
  });

  test.each(['2015-10-08', '2016-03-23'] as const)('evaluation never throws on arbitrary payloads (%s)', (version) => {
    // Prepare
    const rules = rulesOverEveryFunction(version);
    const property = fc.property(anyPayload, (payload) => {
      for (const rule of rules) {
        const result = rule.evaluate({ ...CONTEXT, topic: 't', payload });
        if (result.matched) serializeOutput(result.output);
      }
    });

    // Act & Assess
    fc.assert(property, { numRuns: 150 });
  });
});
