import { TemplateError, type TemplateLocation } from './errors';
import { intrinsicCall, NO_VALUE, type ResolutionContext, resolveValue } from './intrinsics';

/**
 * Evaluates the template's `Conditions` on demand, each once. A condition may use `Fn::Equals`, `Fn::Not`,
 * `Fn::And`, `Fn::Or`, `{ "Condition": name }` and, inside `Fn::Equals`, any intrinsic over parameters and pseudo
 * parameters (`contextFor` supplies them; it should refuse resources, as CloudFormation does).
 */
export class ConditionEvaluator {
  private readonly values = new Map<string, boolean>();
  private readonly evaluating: string[] = [];

  constructor(
    private readonly definitions: Record<string, unknown>,
    private readonly stackName: string,
    private readonly contextFor: (location: TemplateLocation) => ResolutionContext,
  ) {}

  /** The names of every condition the template declares. */
  get names(): string[] {
    return Object.keys(this.definitions);
  }

  evaluate(name: string, usedBy?: TemplateLocation): boolean {
    const known = this.values.get(name);
    if (known !== undefined) return known;
    if (!Object.hasOwn(this.definitions, name)) {
      throw new TemplateError(
        usedBy ?? { stackName: this.stackName },
        `refers to condition ${name}, which is not declared`,
      );
    }
    if (this.evaluating.includes(name)) {
      const cycle = [...this.evaluating.slice(this.evaluating.indexOf(name)), name];
      throw new TemplateError({ stackName: this.stackName }, `circular conditions: ${cycle.join(' -> ')}`);
    }
    this.evaluating.push(name);
    try {
      const value = this.evaluateExpression(this.definitions[name], {
        stackName: this.stackName,
        where: `condition ${name}`,
      });
      this.values.set(name, value);
      return value;
    } finally {
      this.evaluating.pop();
    }
  }

  private evaluateExpression(expression: unknown, location: TemplateLocation): boolean {
    const conditionName = conditionReference(expression);
    if (conditionName !== undefined) return this.evaluate(conditionName, location);
    const call = intrinsicCall(expression);
    const fail = (message: string): never => {
      throw new TemplateError(location, message);
    };
    if (!call) return fail('is not a condition function (Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition)');
    const [name, arg] = call;
    const operands = (min: number, max: number) => {
      if (!Array.isArray(arg) || arg.length < min || arg.length > max) {
        fail(`${name} takes ${min === max ? min : `${min} to ${max}`} conditions in a list`);
      }
      return (arg as unknown[]).map((operand) => this.evaluateExpression(operand, location));
    };
    switch (name) {
      case 'Fn::Equals': {
        if (!Array.isArray(arg) || arg.length !== 2) return fail('Fn::Equals takes a list of 2 values');
        const context = this.contextFor(location);
        const [left, right] = arg.map((value) => comparable(resolveValue(value, context)));
        return left === right;
      }
      case 'Fn::Not':
        return !operands(1, 1)[0];
      case 'Fn::And':
        return operands(2, 10).every(Boolean);
      case 'Fn::Or':
        return operands(2, 10).some(Boolean);
      default:
        return fail(`${name} is not a condition function (Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition)`);
    }
  }
}

function conditionReference(expression: unknown): string | undefined {
  if (typeof expression !== 'object' || expression === null || Array.isArray(expression)) return undefined;
  const keys = Object.keys(expression);
  const name = (expression as Record<string, unknown>).Condition;
  return keys.length === 1 && typeof name === 'string' ? name : undefined;
}

/** CloudFormation compares the string forms: `"1"` equals `1`, `"true"` equals `true`. */
function comparable(value: unknown): string {
  if (value === NO_VALUE) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
