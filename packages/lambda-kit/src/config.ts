import type * as z from 'zod';

/** Thrown at cold start when the function's environment lacks or mangles a variable it needs. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/**
 * Reads the function's configuration from the environment once, validated by a zod object schema whose keys are
 * the variable names. Fails fast, naming every missing or invalid variable, so a misconfigured deployment breaks at
 * cold start rather than on some later request.
 */
export function readConfig<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    return env[name] === undefined ? `${name} is not set` : `${name}: ${issue.message}`;
  });
  throw new ConfigurationError(`Invalid function configuration: ${problems.join('; ')}`);
}

/**
 * Builds a value on first use and keeps it: a handler module exports `handler = once(() => createHandler(real()))`
 * style wiring so importing the module (as tests do, to reach its factory) reads no environment.
 */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}
