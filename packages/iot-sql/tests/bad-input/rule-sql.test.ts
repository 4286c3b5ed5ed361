import fc from 'fast-check';
import { compileRule, MAX_EXPRESSION_DEPTH, parseSql, prepareMessage, SqlParseError } from '../../src';

/** Builders of an expression nested `depth` levels deep, one per construct that recurses. */
const NESTINGS: Record<string, (depth: number) => string> = {
  brackets: (n) => `${'('.repeat(n)}1${')'.repeat(n)}`,
  negation: (n) => `${'-'.repeat(n)}1`,
  not: (n) => `${'NOT '.repeat(n)}true`,
  arrays: (n) => `${'['.repeat(n)}1${']'.repeat(n)}`,
  objects: (n) => `${"{'k': ".repeat(n)}1${'}'.repeat(n)}`,
  subqueries: (n) => `${'(SELECT VALUE '.repeat(n)}1${' FROM a)'.repeat(n)}`,
  'operator chains': (n) => Array.from({ length: n }, () => '1').join(' + '),
  'AND chains': (n) => Array.from({ length: n }, () => 'a = 1').join(' AND '),
  'attribute paths': (n) => `a${'.b'.repeat(n)}`,
  indexes: (n) => `a${'[0]'.repeat(n)}`,
  'function calls': (n) => `${'abs('.repeat(n)}1${')'.repeat(n)}`,
};

const message = prepareMessage({ topic: 't', payload: Buffer.from('{"a":1}'), timestamp: 0, accountId: '0' });

/** What compiling and evaluating a rule did: nothing, or the error it threw. */
function outcome(sql: string): unknown {
  try {
    compileRule(sql, { sqlVersion: '2016-03-23' }).evaluate(message);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('rule SQL: bad input', () => {
  test.each(Object.keys(NESTINGS))('deep %s are refused with a position, never by exhausting the stack', (kind) => {
    // Prepare
    const build = NESTINGS[kind] as (depth: number) => string;
    const property = fc.property(fc.integer({ min: 1, max: 20_000 }), fc.boolean(), (depth, inWhere) => {
      const sql = inWhere ? `SELECT a FROM 't' WHERE ${build(depth)} <> 0` : `SELECT ${build(depth)} AS x FROM 't'`;

      // Act
      const error = outcome(sql);

      // Assess
      if (error === undefined) return depth < MAX_EXPRESSION_DEPTH;
      return (
        error instanceof SqlParseError &&
        error.message.includes(`more than ${MAX_EXPRESSION_DEPTH} levels deep`) &&
        error.offset > 0 &&
        error.offset < sql.length &&
        error.message.includes(`column ${error.column}`)
      );
    });

    fc.assert(property, { numRuns: 40 });
  });

  test('an expression as deep as the limit allows still compiles and evaluates', () => {
    // Prepare
    const sql = `SELECT ${NESTINGS.brackets?.(MAX_EXPRESSION_DEPTH - 5)} AS x FROM 't'`;

    // Act
    const result = compileRule(sql).evaluate(message);

    // Assess
    expect(result).toEqual({ matched: true, output: { x: 1 } });
  });

  test('a character no statement may hold is reported at its own line and column', () => {
    // Prepare: a valid statement over several lines; a stray character lands between two of its tokens.
    const tokens = ['SELECT', 'a', ',', 'b.c', 'AS', 'd', '\nFROM', "'t/+'", '\nWHERE', 'a', '>', '1'];
    const property = fc.property(
      fc.integer({ min: 1, max: tokens.length }),
      fc.constantFrom('@', '#', '`', '?', '\u0000', '\u00a7', '\u{1F600}', '\u202e'),
      (at, stray) => {
        const before = tokens.slice(0, at).join(' ');
        const sql = `${before} ${stray} ${tokens.slice(at).join(' ')}`;

        // Act
        const error = outcome(sql);

        // Assess
        const offset = before.length + 1;
        const lines = sql.slice(0, offset).split('\n');
        return (
          error instanceof SqlParseError &&
          error.offset === offset &&
          error.line === lines.length &&
          error.column === (lines.at(-1)?.length ?? 0) + 1
        );
      },
    );

    fc.assert(property, { numRuns: 200 });
  });

  test('odd Unicode in strings, quoted names and topic filters parses or fails with a position', () => {
    // Prepare
    const odd = fc.string({ unit: 'binary', maxLength: 30 });
    const property = fc.property(odd, odd, odd, (literal, name, filter) => {
      const sql = `SELECT '${literal}' AS x, "${name}" FROM '${filter}' WHERE a = '${literal}'`;

      // Act
      let error: unknown;
      try {
        parseSql(sql);
      } catch (caught) {
        error = caught;
      }

      // Assess
      return error === undefined || (error instanceof SqlParseError && error.offset <= sql.length);
    });

    fc.assert(property, { numRuns: 300 });
  });
});
