import { type CompileState, compileExpression } from './compile';
import type { Evaluator, ExternalState } from './env';
import { parseTemplateExpression } from './parser';
import { parsePayload } from './payload';
import {
  type CompileOptions,
  createEnv,
  type ExternalHooks,
  type MessageContext,
  PreparedMessage,
  resolveSqlVersion,
  runWithHooks,
  type SqlVersion,
} from './rule';
import { type SqlValue, toSqlString } from './values';

/** A substitution template compiled once: call it with a message to get the action field's text. */
export interface CompiledTemplate {
  /**
   * Renders the template for a message. Undefined expressions render as the empty string, Null as `null`.
   * @throws {TypeError} when the template {@link CompiledTemplate.isAsync | is asynchronous}.
   */
  (message: MessageContext | PreparedMessage): string;
  /** The template text. */
  readonly template: string;
  readonly sqlVersion: SqlVersion;
  /** An expression calls a host function (such as `get_secret`): use {@link CompiledTemplate.renderAsync}. */
  readonly isAsync: boolean;
  /** Renders any template, calling the host's hooks where needed. */
  renderAsync(message: MessageContext | PreparedMessage, hooks?: ExternalHooks): Promise<string>;
}

function text(v: SqlValue): string {
  if (v === null) return 'null';
  return toSqlString(v) ?? '';
}

/**
 * Compiles a substitution template such as `${topic(2)}/alarms` or `$$aws/things/${thing}/shadow/update`
 * (`$$` stands for a literal `$`). Expressions see the original payload, functions and operators, never
 * the SELECT's aliases.
 * @throws {SqlParseError} for an invalid expression (positions are offsets in the template).
 */
export function compileTemplate(template: string, options: CompileOptions = {}): CompiledTemplate {
  const sqlVersion = resolveSqlVersion(template, options.sqlVersion);
  const v1 = sqlVersion === '2015-10-08';
  const state: CompileState = {
    source: template,
    v1,
    sqlVersion,
    usesPayload: false,
    usesExternal: false,
    externalSites: 0,
  };
  const literals: string[] = [];
  const parts: Evaluator[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === '$' && template[i + 1] === '$') {
      literal += '$';
      i += 2;
    } else if (c === '$' && template[i + 1] === '{') {
      const { expression, end } = parseTemplateExpression(template, i + 2);
      parts.push(compileExpression(expression, state));
      literals.push(literal);
      literal = '';
      i = end + 1;
    } else {
      literal += c;
      i++;
    }
  }
  const tail = literal;
  const usesPayload = state.usesPayload;
  const isAsync = state.usesExternal;

  const renderWith = (message: MessageContext | PreparedMessage, external: ExternalState | undefined): string => {
    const context = message instanceof PreparedMessage ? message.context : message;
    const parsed = !usesPayload
      ? { root: undefined, star: undefined }
      : message instanceof PreparedMessage
        ? message.parsed(v1)
        : parsePayload(context.payload, v1);
    const env = createEnv(context, parsed, v1, sqlVersion, external);
    let out = '';
    for (let p = 0; p < parts.length; p++) {
      out += (literals[p] as string) + text((parts[p] as Evaluator)(parsed.root, env));
    }
    return out + tail;
  };

  const render = ((message: MessageContext | PreparedMessage) => {
    if (isAsync) throw new TypeError('This template calls a host function: render it with renderAsync()');
    return renderWith(message, undefined);
  }) as CompiledTemplate & { template: string; sqlVersion: SqlVersion; isAsync: boolean };
  Object.defineProperties(render, {
    template: { value: template, enumerable: true },
    sqlVersion: { value: sqlVersion, enumerable: true },
    isAsync: { value: isAsync, enumerable: true },
    renderAsync: {
      value: async (message: MessageContext | PreparedMessage, hooks?: ExternalHooks) =>
        isAsync ? runWithHooks(hooks, (external) => renderWith(message, external)) : renderWith(message, undefined),
      enumerable: true,
    },
  });
  return render;
}
