/** Where in the source text something is: 0-based offset, 1-based line and column. */
export interface SourcePosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** Computes line and column (both 1-based) of an offset in a text. */
export function positionAt(source: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

/**
 * A rule's SQL (or a substitution template) that AWS IoT would reject: a syntax error, an unknown function,
 * a wrong number of arguments, a construct the SQL version does not have.
 * The message names the position and what was expected, like AWS's `SqlParseException`.
 */
export class SqlParseError extends Error {
  override readonly name = 'SqlParseError';
  /** 0-based offset of the offending text. */
  readonly offset: number;
  /** 1-based line of the offending text. */
  readonly line: number;
  /** 1-based column of the offending text. */
  readonly column: number;
  /** What would have been accepted there, when the error is about syntax. */
  readonly expected: string | undefined;
  /** The text found there (`end of input` at the end). */
  readonly found: string | undefined;

  constructor(source: string, offset: number, detail: { expected?: string; found?: string; message?: string }) {
    const pos = positionAt(source, offset);
    const what =
      detail.message ??
      `Expected ${detail.expected ?? 'something else'} but found ${detail.found === undefined ? 'end of input' : detail.found}`;
    super(`${what} at line ${pos.line}, column ${pos.column} (offset ${pos.offset})`);
    this.offset = pos.offset;
    this.line = pos.line;
    this.column = pos.column;
    this.expected = detail.expected;
    this.found = detail.found;
  }
}
