/** The syntax tree of an AWS IoT SQL statement, as returned by `parseSql`. Every node has its source offset. */

export type BinaryOperator =
  | 'AND'
  | 'OR'
  | '='
  | '<>'
  | '<'
  | '<='
  | '>'
  | '>='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | 'IN'
  | 'CONTAINS';

export type Expression =
  | { kind: 'number'; text: string; offset: number }
  | { kind: 'string'; value: string; offset: number }
  | { kind: 'boolean'; value: boolean; offset: number }
  | { kind: 'null'; offset: number }
  /** `*`: the whole payload (or, in a nested query, the current element). */
  | { kind: 'wildcard'; offset: number }
  /** A top-level attribute of the current document. */
  | { kind: 'identifier'; name: string; offset: number }
  | { kind: 'member'; object: Expression; property: string; offset: number }
  | { kind: 'index'; object: Expression; index: Expression; offset: number }
  /** A function call; `name` is lower-cased (function names are case-insensitive). */
  | { kind: 'call'; name: string; args: Expression[]; offset: number }
  | { kind: 'cast'; value: Expression; type: string; offset: number }
  | { kind: 'unary'; operator: '-' | '+' | 'NOT'; operand: Expression; offset: number }
  | { kind: 'binary'; operator: BinaryOperator; left: Expression; right: Expression; offset: number }
  | {
      kind: 'case';
      subject: Expression;
      branches: { when: Expression; result: Expression }[];
      otherwise: Expression | undefined;
      offset: number;
    }
  | { kind: 'array'; items: Expression[]; offset: number }
  | { kind: 'object'; entries: { key: string; value: Expression }[]; offset: number }
  /** `(SELECT ... FROM <expression> [WHERE ...])`, a nested object query (SQL 2016-03-23). */
  | { kind: 'subquery'; query: Query; offset: number };

export type SelectItem =
  | { kind: 'wildcard'; offset: number }
  /** `alias` is the dotted path after AS (`AS a.b` builds `{"a":{"b":...}}`). */
  | { kind: 'column'; expression: Expression; alias: string[] | undefined; offset: number };

/** A SELECT, either the statement's own or a nested one. */
export interface Query {
  /** `SELECT VALUE expr`: the output is the value itself rather than an object. */
  selectValue: boolean;
  items: SelectItem[];
  /** The FROM source of a nested query (an expression on the outer document). */
  source: Expression | undefined;
  where: Expression | undefined;
  offset: number;
}

/** A whole rule statement. */
export interface Statement extends Query {
  /** The topic filter of the FROM clause, or `undefined` when it is left out (Basic Ingest only rules). */
  topicFilter: string | undefined;
}
