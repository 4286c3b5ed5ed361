import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComposeFileError, readComposeFile, resolveParam } from '../../src/compose';

async function composeFile(text: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'compose-'));
  await writeFile(join(root, 'serverless-compose.yml'), text);
  return root;
}

describe('readComposeFile', () => {
  it('orders services after the services whose outputs they take, whatever the file order', async () => {
    // Prepare
    const root = await composeFile(`
services:
  rules:
    path: services/rules
    params:
      fn: \${alerting.FunctionArn}
      stream: arn:\${analytics.StreamName}:x
  alerting:
    path: services/alerting
    params:
      api: \${api.RestApiId}
  api:
    path: services/api
  analytics:
    path: services/analytics
    dependsOn: api
`);

    // Act
    const compose = await readComposeFile(root);

    // Assess
    expect(compose.services.map((s) => s.name)).toEqual(['api', 'alerting', 'analytics', 'rules']);
    expect(compose.services.find((s) => s.name === 'rules')?.dependsOn).toEqual(['alerting', 'analytics']);
    expect(compose.services[0]?.path).toBe(join(root, 'services/api'));
  });

  it('names the cycle when services depend on one another', async () => {
    // Prepare
    const root = await composeFile(`
services:
  a:
    path: a
    params: { x: '\${b.Out}' }
  b:
    path: b
    params: { y: '\${a.Out}' }
`);

    // Act
    const reading = readComposeFile(root);

    // Assess
    await expect(reading).rejects.toThrow(
      new ComposeFileError('services depend on one another in a cycle: a -> b -> a'),
    );
  });

  it('names a dependency that is not a service', async () => {
    // Prepare
    const root = await composeFile('services:\n  a:\n    path: a\n    params:\n      x: ${missing.Out}\n');

    // Act
    const reading = readComposeFile(root);

    // Assess
    await expect(reading).rejects.toThrow('a depends on "missing", which is not a service');
  });
});

describe('resolveParam', () => {
  const param = { template: 'arn:${alerting.Fn}/x', references: [{ service: 'alerting', output: 'Fn' }] };

  it('replaces each reference with the upstream output', () => {
    // Act
    const value = resolveParam(param, () => ({ Fn: 'f1' }), 'services.rules.params.fn');

    // Assess
    expect(value).toBe('arn:f1/x');
  });

  it('names the output that does not exist and the ones that do', () => {
    // Act
    const resolving = () => resolveParam(param, () => ({ Other: 'o', Arn: 'a' }), 'services.rules.params.fn');

    // Assess
    expect(resolving).toThrow('services.rules.params.fn: alerting has no output "Fn" (it has: Arn, Other)');
  });
});
