import type { BinaryOperator, Expression, Query, SelectItem, Statement } from './ast';
import { SqlParseError } from './errors';

type TokenKind = 'word' | 'number' | 'string' | 'punct' | 'eof';

interface Token {
  kind: TokenKind;
  /** Source text (for strings: the decoded value). */
  text: string;
  start: number;
  end: number;
  /** For strings: the quote character used. */
  quote?: string;
}

/** Words that cannot name an attribute. */
const RESERVED = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'AS',
  'AND',
  'OR',
  'NOT',
  'CASE',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'IN',
  'CONTAINS',
  'TRUE',
  'FALSE',
  'NULL',
]);

const PUNCT_2 = new Set(['<>', '<=', '>=', '!=']);
const PUNCT_1 = new Set(['(', ')', '[', ']', '{', '}', ',', '.', '*', '+', '-', '/', '%', '=', '<', '>', ':']);

const PRECEDENCE: Record<string, number> = {
  OR: 1,
  AND: 2,
  '=': 4,
  '<>': 4,
  '!=': 4,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  IN: 4,
  CONTAINS: 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};
const NOT_PRECEDENCE = 3;
/**
 * How deep expressions may nest (brackets, operands, subqueries, attribute paths). The parser, the compiler and the
 * evaluator recurse over the tree: without a bound, a rule of a few kilobytes of brackets would exhaust the stack
 * instead of being refused with its position.
 */
export const MAX_EXPRESSION_DEPTH = 200;
const UNARY_PRECEDENCE = 7;

function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isWordPart(c: number): boolean {
  return isWordStart(c) || isDigit(c);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  '/': '/',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

class Parser {
  private readonly src: string;
  private pos: number;
  /** How deep the expression being parsed sits in the tree. */
  private depth = 0;
  tok: Token;

  constructor(src: string, start: number) {
    this.src = src;
    this.pos = start;
    this.tok = this.lex();
  }

  // ---- lexer -------------------------------------------------------------------------------------

  private lex(): Token {
    const src = this.src;
    let i = this.pos;
    while (i < src.length) {
      const c = src.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) i++;
      else break;
    }
    const start = i;
    if (i >= src.length) {
      this.pos = i;
      return { kind: 'eof', text: '', start, end: i };
    }
    const c = src.charCodeAt(i);
    if (isWordStart(c)) {
      i++;
      while (i < src.length && isWordPart(src.charCodeAt(i))) i++;
      this.pos = i;
      return { kind: 'word', text: src.slice(start, i), start, end: i };
    }
    if (isDigit(c)) {
      while (i < src.length && isDigit(src.charCodeAt(i))) i++;
      if (src[i] === '.' && isDigit(src.charCodeAt(i + 1))) {
        i++;
        while (i < src.length && isDigit(src.charCodeAt(i))) i++;
      }
      if (src[i] === 'e' || src[i] === 'E') {
        let j = i + 1;
        if (src[j] === '+' || src[j] === '-') j++;
        if (isDigit(src.charCodeAt(j))) {
          i = j;
          while (i < src.length && isDigit(src.charCodeAt(i))) i++;
        }
      }
      if (i < src.length && isWordStart(src.charCodeAt(i))) {
        throw new SqlParseError(src, i, { expected: 'an operator or the end of the number', found: `'${src[i]}'` });
      }
      this.pos = i;
      return { kind: 'number', text: src.slice(start, i), start, end: i };
    }
    if (c === 39 || c === 34) return this.lexString(start);
    const two = src.slice(i, i + 2);
    if (PUNCT_2.has(two)) {
      this.pos = i + 2;
      return { kind: 'punct', text: two, start, end: i + 2 };
    }
    const one = src[i] as string;
    if (PUNCT_1.has(one)) {
      this.pos = i + 1;
      return { kind: 'punct', text: one, start, end: i + 1 };
    }
    throw new SqlParseError(src, i, { message: `Unexpected character '${one}'` });
  }

  private lexString(start: number): Token {
    const src = this.src;
    const quote = src[start] as string;
    let i = start + 1;
    let value = '';
    let chunk = i;
    for (;;) {
      if (i >= src.length) {
        throw new SqlParseError(src, start, { message: `Unterminated string literal (expected a closing ${quote})` });
      }
      const ch = src[i];
      if (ch === quote) {
        if (src[i + 1] === quote) {
          value += src.slice(chunk, i + 1);
          i += 2;
          chunk = i;
          continue;
        }
        value += src.slice(chunk, i);
        this.pos = i + 1;
        return { kind: 'string', text: value, start, end: i + 1, quote };
      }
      if (ch === '\\' && i + 1 < src.length) {
        const next = src[i + 1] as string;
        const simple = ESCAPES[next];
        if (simple !== undefined) {
          value += src.slice(chunk, i) + simple;
          i += 2;
          chunk = i;
          continue;
        }
        if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
          value += src.slice(chunk, i) + String.fromCharCode(Number.parseInt(src.slice(i + 2, i + 6), 16));
          i += 6;
          chunk = i;
          continue;
        }
        // Any other backslash stays as written, so regular expressions such as '\d+' keep their meaning.
        i += 2;
        continue;
      }
      i++;
    }
  }

  // ---- helpers -----------------------------------------------------------------------------------

  advance(): Token {
    const t = this.tok;
    this.tok = this.lex();
    return t;
  }

  /** One token of look-ahead without consuming. */
  peek(): Token {
    const savedPos = this.pos;
    const savedTok = this.tok;
    const next = this.lex();
    this.pos = savedPos;
    this.tok = savedTok;
    return next;
  }

  describe(t: Token): string | undefined {
    if (t.kind === 'eof') return undefined;
    const text = this.src.slice(t.start, t.end);
    return t.kind === 'string' ? `the string ${text}` : `'${text}'`;
  }

  fail(expected: string, t: Token = this.tok): never {
    throw new SqlParseError(this.src, t.start, { expected, found: this.describe(t) });
  }

  isWord(t: Token, upper: string): boolean {
    return t.kind === 'word' && t.text.length === upper.length && t.text.toUpperCase() === upper;
  }

  isPunct(t: Token, p: string): boolean {
    return t.kind === 'punct' && t.text === p;
  }

  expectWord(upper: string): Token {
    if (!this.isWord(this.tok, upper)) this.fail(upper);
    return this.advance();
  }

  expectPunct(p: string): Token {
    if (!this.isPunct(this.tok, p)) this.fail(`'${p}'`);
    return this.advance();
  }

  // ---- statements --------------------------------------------------------------------------------

  parseStatement(): Statement {
    const query = this.parseQuery(true);
    if (this.tok.kind !== 'eof') {
      this.fail(query.where ? 'an operator or the end of the statement' : 'WHERE or the end of the statement');
    }
    const { topicFilter, ...rest } = query;
    return { ...rest, topicFilter };
  }

  private parseQuery(topLevel: boolean): Query & { topicFilter: string | undefined } {
    const offset = this.expectWord('SELECT').start;
    let selectValue = false;
    if (this.isWord(this.tok, 'VALUE')) {
      const next = this.peek();
      const endsItem =
        next.kind === 'eof' ||
        this.isPunct(next, ',') ||
        this.isPunct(next, ')') ||
        this.isWord(next, 'FROM') ||
        this.isWord(next, 'AS') ||
        this.isWord(next, 'WHERE');
      if (!endsItem) {
        this.advance();
        selectValue = true;
      }
    }
    const items: SelectItem[] = [this.parseSelectItem()];
    while (this.isPunct(this.tok, ',')) {
      this.advance();
      items.push(this.parseSelectItem());
    }
    let topicFilter: string | undefined;
    let source: Expression | undefined;
    if (this.isWord(this.tok, 'FROM')) {
      this.advance();
      if (topLevel) {
        const t = this.tok;
        if (t.kind !== 'string' || t.quote !== "'") this.fail('a topic filter in single quotes');
        this.advance();
        topicFilter = t.text;
      } else {
        source = this.parseExpression(1);
      }
    } else if (!topLevel) {
      this.fail('FROM');
    } else if (this.tok.kind !== 'eof' && !this.isWord(this.tok, 'WHERE')) {
      this.fail("',', FROM or WHERE");
    }
    let where: Expression | undefined;
    if (this.isWord(this.tok, 'WHERE')) {
      this.advance();
      where = this.parseExpression(1);
    }
    return { selectValue, items, source, where, offset, topicFilter };
  }

  private parseSelectItem(): SelectItem {
    const t = this.tok;
    if (this.isPunct(t, '*')) {
      const next = this.peek();
      if (
        next.kind === 'eof' ||
        this.isPunct(next, ',') ||
        this.isPunct(next, ')') ||
        this.isWord(next, 'FROM') ||
        this.isWord(next, 'WHERE')
      ) {
        this.advance();
        return { kind: 'wildcard', offset: t.start };
      }
    }
    const expression = this.parseExpression(1);
    let alias: string[] | undefined;
    if (this.isWord(this.tok, 'AS')) {
      this.advance();
      alias = [this.parseAliasPart()];
      while (this.isPunct(this.tok, '.')) {
        this.advance();
        alias.push(this.parseAliasPart());
      }
    }
    return { kind: 'column', expression, alias, offset: t.start };
  }

  private parseAliasPart(): string {
    if (this.tok.kind !== 'word') this.fail('a name after AS');
    return this.advance().text;
  }

  // ---- expressions -------------------------------------------------------------------------------

  parseExpression(minPrecedence: number): Expression {
    const depth = this.depth;
    this.deeper(this.tok);
    try {
      let left = this.parsePrefix();
      for (;;) {
        const t = this.tok;
        let op: string | undefined;
        if (t.kind === 'punct') op = t.text;
        else if (t.kind === 'word') op = t.text.toUpperCase();
        const prec = op === undefined ? undefined : PRECEDENCE[op];
        if (prec === undefined || prec < minPrecedence) return left;
        // Each operator of a chain (a + b + c ...) puts what came before one level deeper.
        this.deeper(t);
        this.advance();
        const right = this.parseExpression(prec + 1);
        const operator = (op === '!=' ? '<>' : op) as BinaryOperator;
        left = { kind: 'binary', operator, left, right, offset: t.start };
      }
    } finally {
      this.depth = depth;
    }
  }

  /** One level deeper in the tree; refused past {@link MAX_EXPRESSION_DEPTH}, at the token that goes too deep. */
  private deeper(t: Token): void {
    this.depth += 1;
    if (this.depth > MAX_EXPRESSION_DEPTH) {
      throw new SqlParseError(this.src, t.start, {
        message: `Expressions nest more than ${MAX_EXPRESSION_DEPTH} levels deep`,
      });
    }
  }

  private parsePrefix(): Expression {
    const t = this.tok;
    if (this.isWord(t, 'NOT')) {
      this.advance();
      return { kind: 'unary', operator: 'NOT', operand: this.parseExpression(NOT_PRECEDENCE), offset: t.start };
    }
    if (this.isPunct(t, '-') || this.isPunct(t, '+')) {
      this.advance();
      const operand = this.parseExpression(UNARY_PRECEDENCE);
      return { kind: 'unary', operator: t.text as '-' | '+', operand, offset: t.start };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(base: Expression): Expression {
    let e = base;
    for (;;) {
      const t = this.tok;
      if (this.isPunct(t, '.')) {
        this.deeper(t);
        this.advance();
        if (this.tok.kind !== 'word') this.fail('an attribute name after "."');
        const name = this.advance();
        e = { kind: 'member', object: e, property: name.text, offset: name.start };
      } else if (this.isPunct(t, '[')) {
        this.deeper(t);
        this.advance();
        const index = this.parseExpression(1);
        this.expectPunct(']');
        e = { kind: 'index', object: e, index, offset: t.start };
      } else {
        return e;
      }
    }
  }

  private parsePrimary(): Expression {
    const t = this.tok;
    switch (t.kind) {
      case 'number':
        this.advance();
        return { kind: 'number', text: t.text, offset: t.start };
      case 'string':
        this.advance();
        return { kind: 'string', value: t.text, offset: t.start };
      case 'eof':
        return this.fail('an expression');
      case 'punct':
        return this.parsePunctPrimary(t);
      default:
        return this.parseWordPrimary(t);
    }
  }

  private parsePunctPrimary(t: Token): Expression {
    switch (t.text) {
      case '*':
        this.advance();
        return { kind: 'wildcard', offset: t.start };
      case '(': {
        this.advance();
        if (this.isWord(this.tok, 'SELECT')) {
          const { topicFilter: _ignored, ...query } = this.parseQuery(false);
          this.expectPunct(')');
          return { kind: 'subquery', query, offset: t.start };
        }
        const inner = this.parseExpression(1);
        this.expectPunct(')');
        return inner;
      }
      case '[': {
        this.advance();
        const items: Expression[] = [];
        if (!this.isPunct(this.tok, ']')) {
          items.push(this.parseExpression(1));
          while (this.isPunct(this.tok, ',')) {
            this.advance();
            items.push(this.parseExpression(1));
          }
        }
        this.expectPunct(']');
        return { kind: 'array', items, offset: t.start };
      }
      case '{': {
        this.advance();
        const entries: { key: string; value: Expression }[] = [];
        if (!this.isPunct(this.tok, '}')) {
          entries.push(this.parseObjectEntry());
          while (this.isPunct(this.tok, ',')) {
            this.advance();
            entries.push(this.parseObjectEntry());
          }
        }
        this.expectPunct('}');
        return { kind: 'object', entries, offset: t.start };
      }
      default:
        return this.fail('an expression');
    }
  }

  private parseObjectEntry(): { key: string; value: Expression } {
    const k = this.tok;
    if (k.kind !== 'string' && k.kind !== 'word') this.fail('an object key');
    this.advance();
    this.expectPunct(':');
    return { key: k.text, value: this.parseExpression(1) };
  }

  private parseWordPrimary(t: Token): Expression {
    const upper = t.text.toUpperCase();
    if (upper === 'TRUE' || upper === 'FALSE') {
      this.advance();
      return { kind: 'boolean', value: upper === 'TRUE', offset: t.start };
    }
    if (upper === 'NULL') {
      this.advance();
      return { kind: 'null', offset: t.start };
    }
    if (upper === 'CASE') return this.parseCase();
    if (RESERVED.has(upper)) this.fail('an expression');
    this.advance();
    if (!this.isPunct(this.tok, '(')) return { kind: 'identifier', name: t.text, offset: t.start };
    this.advance();
    if (upper === 'CAST') {
      const value = this.parseExpression(1);
      this.expectWord('AS');
      if (this.tok.kind !== 'word') this.fail('a type name after AS');
      const type = this.advance().text;
      this.expectPunct(')');
      return { kind: 'cast', value, type, offset: t.start };
    }
    const args: Expression[] = [];
    if (!this.isPunct(this.tok, ')')) {
      args.push(this.parseExpression(1));
      while (this.isPunct(this.tok, ',')) {
        this.advance();
        args.push(this.parseExpression(1));
      }
    }
    this.expectPunct(')');
    return { kind: 'call', name: t.text.toLowerCase(), args, offset: t.start };
  }

  private parseCase(): Expression {
    const offset = this.advance().start;
    const subject = this.parseExpression(1);
    const branches: { when: Expression; result: Expression }[] = [];
    while (this.isWord(this.tok, 'WHEN')) {
      this.advance();
      const when = this.parseExpression(1);
      this.expectWord('THEN');
      branches.push({ when, result: this.parseExpression(1) });
    }
    if (branches.length === 0) this.fail('WHEN');
    let otherwise: Expression | undefined;
    if (this.isWord(this.tok, 'ELSE')) {
      this.advance();
      otherwise = this.parseExpression(1);
    }
    this.expectWord('END');
    return { kind: 'case', subject, branches, otherwise, offset };
  }
}

/**
 * Parses a rule's SQL statement into its syntax tree, without any check that depends on the SQL version
 * (use `validateSql` or `compileRule` for those).
 * @throws {SqlParseError} when the text is not a valid statement.
 */
export function parseSql(sql: string): Statement {
  return new Parser(sql, 0).parseStatement();
}

/**
 * Parses the expression of a substitution template that starts at `start` (just after `${`).
 * Returns the expression and the offset of the closing `}`.
 * @throws {SqlParseError}
 */
export function parseTemplateExpression(source: string, start: number): { expression: Expression; end: number } {
  const parser = new Parser(source, start);
  const expression = parser.parseExpression(1);
  const t = parser.tok;
  if (!parser.isPunct(t, '}')) parser.fail("an operator or '}'");
  return { expression, end: t.start };
}
