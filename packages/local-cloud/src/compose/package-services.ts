import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ComposeService, readComposeFile, resolveParam } from './compose-file';
import { packageService } from './package-service';

export interface PackagedService {
  name: string;
  serviceDir: string;
  /** The stack name, `<service name in serverless.yml>-<stage>`. */
  stackName: string;
  params: Record<string, string>;
  template: unknown;
  outputs: Record<string, string>;
  reused: boolean;
}

export interface PackageServicesOptions {
  root: string;
  stage: string;
  /**
   * Gives a packaged service's outputs: offline, derived from its template; in the local cloud, from deploying
   * it. Downstream services are packaged with these as their params.
   */
  outputsOf: (service: PackagedServiceInput) => Promise<Record<string, string>>;
  /** Called as each service starts and ends packaging. */
  onProgress?: (event: { service: string; step: 'packaging' | 'packaged' | 'reused' }) => void;
  force?: boolean;
  /** Params per service that replace or add to those of serverless-compose.yml (e.g. `{ alerting: { alerts: 'stream' } }`). */
  params?: Record<string, Record<string, string>>;
}

export type PackagedServiceInput = Omit<PackagedService, 'outputs'>;

/** The workspace packages a service bundles: its `@iot/*` dependencies, and theirs. */
async function bundledWorkspacePackages(root: string, serviceDir: string): Promise<string[]> {
  const dir = join(root, 'packages');
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const byName = new Map<string, { dir: string; dependencies: string[] }>();
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const manifest = await readManifest(join(dir, entry.name));
    if (manifest) byName.set(manifest.name, { dir: join(dir, entry.name), dependencies: manifest.dependencies });
  }
  const found = new Set<string>();
  const visit = (names: string[]) => {
    for (const name of names) {
      const pkg = byName.get(name);
      if (!pkg || found.has(pkg.dir)) continue;
      found.add(pkg.dir);
      visit(pkg.dependencies);
    }
  };
  visit((await readManifest(serviceDir))?.dependencies ?? []);
  return [...found].sort();
}

async function readManifest(dir: string): Promise<{ name: string; dependencies: string[] } | undefined> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
    };
    return { name: manifest.name, dependencies: Object.keys(manifest.dependencies ?? {}) };
  } catch {
    return undefined;
  }
}

function stackNameOf(service: ComposeService, template: unknown, stage: string): string {
  // serverless names the stack `<service>-<stage>`; the template's deployment bucket export carries the same prefix.
  const outputs = (template as { Outputs?: Record<string, { Export?: { Name?: string } }> }).Outputs ?? {};
  const exportName = Object.values(outputs).find((o) => o.Export?.Name?.startsWith('sls-'))?.Export?.Name;
  const match = exportName ? /^sls-(.+)-ServerlessDeploymentBucketName$/.exec(exportName) : null;
  return match?.[1] ?? `iot-${service.name}-${stage}`;
}

/**
 * Packages every service of serverless-compose.yml in deployment order, each with its params resolved from the
 * outputs of the services before it.
 */
export async function packageServices(options: PackageServicesOptions): Promise<PackagedService[]> {
  const compose = await readComposeFile(options.root);
  const outputs = new Map<string, Record<string, string>>();
  const packaged: PackagedService[] = [];
  for (const service of compose.services) {
    const params = Object.fromEntries(
      Object.entries(service.params).map(([key, param]) => [
        key,
        resolveParam(param, (name) => outputs.get(name), `services.${service.name}.params.${key}`),
      ]),
    );
    Object.assign(params, options.params?.[service.name]);
    options.onProgress?.({ service: service.name, step: 'packaging' });
    const { template, reused } = await packageService({
      root: options.root,
      name: service.name,
      serviceDir: service.path,
      stage: options.stage,
      params,
      sharedDirs: await bundledWorkspacePackages(options.root, service.path),
      ...(options.force ? { force: true } : {}),
    });
    options.onProgress?.({ service: service.name, step: reused ? 'reused' : 'packaged' });
    const input = {
      name: service.name,
      serviceDir: service.path,
      stackName: stackNameOf(service, template, options.stage),
      params,
      template,
      reused,
    };
    const serviceOutputs = await options.outputsOf(input);
    outputs.set(service.name, serviceOutputs);
    packaged.push({ ...input, outputs: serviceOutputs });
  }
  return packaged;
}
