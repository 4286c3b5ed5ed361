import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

/** A reference in a compose param to another service's output: `${alerting.EvaluateTelemetryFunctionArn}`. */
export interface OutputReference {
  service: string;
  output: string;
}

/** A param is a literal, or a string holding references to upstream outputs. */
export interface ComposeParam {
  template: string;
  references: OutputReference[];
}

export interface ComposeService {
  name: string;
  /** Absolute path of the service folder. */
  path: string;
  params: Record<string, ComposeParam>;
  /** Services whose outputs this one takes, or that it names in `dependsOn`. */
  dependsOn: string[];
}

export interface ComposeFile {
  /** The services in deployment order: each after everything it depends on. */
  services: ComposeService[];
}

/** A compose file that cannot be deployed as written. */
export class ComposeFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ComposeFileError';
  }
}

const REFERENCE = /\$\{([A-Za-z0-9-]+)\.([A-Za-z0-9]+)\}/g;

function parseParam(value: unknown, where: string): ComposeParam {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new ComposeFileError(`${where}: a param must be a string, number or boolean`);
  }
  const template = String(value);
  const references = [...template.matchAll(REFERENCE)].map(([, service, output]) => ({
    service: service as string,
    output: output as string,
  }));
  return { template, references };
}

/** Orders services so each comes after its dependencies (stable: file order among independent services). */
function deploymentOrder(services: ComposeService[]): ComposeService[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const ordered: ComposeService[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (service: ComposeService, path: string[]) => {
    if (state.get(service.name) === 'done') return;
    if (state.get(service.name) === 'visiting') {
      throw new ComposeFileError(`services depend on one another in a cycle: ${[...path, service.name].join(' -> ')}`);
    }
    state.set(service.name, 'visiting');
    for (const dependency of service.dependsOn) {
      const upstream = byName.get(dependency);
      if (!upstream) throw new ComposeFileError(`${service.name} depends on "${dependency}", which is not a service`);
      visit(upstream, [...path, service.name]);
    }
    state.set(service.name, 'done');
    ordered.push(service);
  };
  for (const service of services) visit(service, []);
  return ordered;
}

/** Reads `serverless-compose.yml` at the repository root. */
export async function readComposeFile(root: string, fileName = 'serverless-compose.yml'): Promise<ComposeFile> {
  const document = parse(await readFile(join(root, fileName), 'utf8')) as { services?: Record<string, unknown> };
  if (!document?.services || typeof document.services !== 'object') {
    throw new ComposeFileError(`${fileName} declares no services`);
  }
  const services = Object.entries(document.services).map(([name, raw]) => {
    const entry = (raw ?? {}) as { path?: unknown; params?: Record<string, unknown>; dependsOn?: unknown };
    if (typeof entry.path !== 'string') throw new ComposeFileError(`services.${name}.path must be a folder`);
    const params = Object.fromEntries(
      Object.entries(entry.params ?? {}).map(([key, value]) => [
        key,
        parseParam(value, `services.${name}.params.${key}`),
      ]),
    );
    const explicit = entry.dependsOn === undefined ? [] : [entry.dependsOn].flat().map(String);
    const referenced = Object.values(params).flatMap((p) => p.references.map((r) => r.service));
    return { name, path: join(root, entry.path), params, dependsOn: [...new Set([...explicit, ...referenced])] };
  });
  return { services: deploymentOrder(services) };
}

/** A param's value once the outputs it refers to are known. */
export function resolveParam(
  param: ComposeParam,
  outputsOf: (service: string) => Record<string, string> | undefined,
  where: string,
): string {
  return param.template.replace(REFERENCE, (_, service: string, output: string) => {
    const outputs = outputsOf(service);
    if (!outputs) throw new ComposeFileError(`${where}: ${service} has not been deployed or packaged yet`);
    const value = outputs[output];
    if (value === undefined) {
      const known = Object.keys(outputs).sort().join(', ');
      throw new ComposeFileError(`${where}: ${service} has no output "${output}" (it has: ${known})`);
    }
    return value;
  });
}
