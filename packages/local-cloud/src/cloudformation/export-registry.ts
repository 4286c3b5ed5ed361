import { ExportNameClashError } from './errors';

/** Anything `Fn::ImportValue` can read exports from: a registry, or a plain map of export name to value. */
export type ExportLookup = ExportRegistry | Readonly<Record<string, string>>;

export interface ExportEntry {
  stackName: string;
  value: string;
}

/**
 * The exports of every stack deployed so far, shared across `deployStack` calls: export names are unique in an
 * account and region, and `Fn::ImportValue` reads only from stacks deployed before.
 */
export class ExportRegistry {
  private readonly entries = new Map<string, ExportEntry>();

  constructor(initial: Readonly<Record<string, ExportEntry>> = {}) {
    for (const [name, entry] of Object.entries(initial)) this.entries.set(name, { ...entry });
  }

  get(name: string): string | undefined {
    return this.entries.get(name)?.value;
  }

  /** The stack exporting a name, if any. */
  owner(name: string): string | undefined {
    return this.entries.get(name)?.stackName;
  }

  /** The exports of one stack, by name. */
  stackExports(stackName: string): Record<string, string> {
    return Object.fromEntries(
      [...this.entries]
        .filter(([, entry]) => entry.stackName === stackName)
        .map(([name, entry]) => [name, entry.value]),
    );
  }

  /**
   * Makes `exports` the stack's exports, dropping those it no longer has (a redeploy). All or nothing: if a name
   * belongs to another stack, nothing changes and an `ExportNameClashError` names it.
   */
  replaceStackExports(stackName: string, exports: Readonly<Record<string, string>>): void {
    for (const name of Object.keys(exports)) {
      const owner = this.owner(name);
      if (owner !== undefined && owner !== stackName) {
        throw new ExportNameClashError({ stackName, where: `export ${name}` }, name, owner);
      }
    }
    for (const [name, entry] of [...this.entries]) if (entry.stackName === stackName) this.entries.delete(name);
    for (const [name, value] of Object.entries(exports)) this.entries.set(name, { stackName, value });
  }

  /** Every export, for persisting between runs and for passing to `new ExportRegistry(...)`. */
  toJSON(): Record<string, ExportEntry> {
    return Object.fromEntries([...this.entries].map(([name, entry]) => [name, { ...entry }]));
  }
}

/** The value exported under a name, from a registry or a plain map. */
export function lookupExport(exports: ExportLookup | undefined, name: string): string | undefined {
  if (exports === undefined) return undefined;
  if (exports instanceof ExportRegistry) return exports.get(name);
  return Object.hasOwn(exports, name) ? exports[name] : undefined;
}
