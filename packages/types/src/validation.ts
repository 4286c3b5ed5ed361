import type * as z from 'zod';

/** One failing field of a rejected input. */
export interface FieldIssue {
  /** Where in the input, e.g. `metrics.temperature` or `rules[0].value`; empty for the input as a whole. */
  path: string;
  message: string;
}

/** Turns zod's issues into field paths and messages a caller can act on. */
export function describeIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.reduce<string>(
      (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
      '',
    ),
    message: issue.message,
  }));
}

/** One line naming every failing field, e.g. `metrics.temperature: must be a finite number`. */
export function summarizeIssues(error: z.ZodError): string {
  return describeIssues(error)
    .map(({ path, message }) => (path ? `${path}: ${message}` : message))
    .join('; ');
}
