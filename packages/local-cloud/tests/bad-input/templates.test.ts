/**
 * CloudFormation templates the deployer reads, broken at random: a packaged template of the fixture service with one
 * node replaced by arbitrary JSON, a bad intrinsic, a deep nesting or a dependency cycle. The deployer either deploys
 * it or refuses it with a `TemplateError` naming the stack (and the resource, output or section where it can); it
 * never fails with an error of its own making (a TypeError, a stack overflow).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { deployStack, TemplateError } from '../../src/cloudformation';
import { memoryLogger, recordingProviders } from '../cloudformation/recording-providers';

const FIXTURE = JSON.parse(
  readFileSync(join(__dirname, '..', 'cloudformation', 'fixtures', 'iot-fixture-local.template.json'), 'utf8'),
) as Record<string, unknown>;

type Json = unknown;

/** Every path to a node of the template (objects and arrays), the root excluded. */
function paths(node: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (node === null || typeof node !== 'object') return [];
  const entries = Array.isArray(node) ? node.map((v, i) => [i, v] as const) : Object.entries(node);
  return entries.flatMap(([key, value]) => [[...prefix, key], ...paths(value, [...prefix, key])]);
}

function replaced(template: Json, path: (string | number)[], value: Json | typeof DELETE): Json {
  const copy = structuredClone(template) as Record<string | number, Json>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path.at(-1) as string | number;
  if (value === DELETE) {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else {
    parent[last] = value;
  }
  return copy;
}

const DELETE = Symbol('delete');
const nested = (depth: number, make: (inner: Json) => Json) => {
  let value: Json = 'x';
  for (let i = 0; i < depth; i++) value = make(value);
  return value;
};

const ALL_PATHS = paths(FIXTURE);
const badValue: fc.Arbitrary<Json | typeof DELETE> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant(DELETE),
  fc.constantFrom(
    { Ref: 5 },
    { Ref: 'NoSuchThing' },
    { 'Fn::GetAtt': 'x' },
    { 'Fn::GetAtt': ['NoSuchThing', 'Arn'] },
    { 'Fn::Sub': [1, 2] },
    { 'Fn::Sub': '${NoSuchThing}' },
    { 'Fn::Join': 3 },
    { 'Fn::Join': ['', 'x'] },
    { 'Fn::Select': [99, []] },
    { 'Fn::If': ['NoSuchCondition', 1, 2] },
    { 'Fn::ImportValue': 'nobody-exports-this' },
    { 'Fn::Base64': { 'Fn::Nothing': 1 } },
    { 'Fn::Split': [',', 5] },
    { 'Fn::FindInMap': ['NoMap', 'a', 'b'] },
  ),
  fc.integer({ min: 100, max: 20_000 }).map((depth) => nested(depth, (inner) => ({ 'Fn::Join': ['', [inner]] }))),
  fc.integer({ min: 100, max: 20_000 }).map((depth) => nested(depth, (inner) => [inner])),
);

async function outcome(template: Json): Promise<unknown> {
  try {
    await deployStack({
      stackName: 'bad-template',
      template: template as never,
      providers: recordingProviders().providers,
      logger: memoryLogger().logger,
    });
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('CloudFormation templates: bad input', () => {
  test('a template with one node broken deploys or is refused with a TemplateError naming the stack', async () => {
    // Prepare
    const property = fc.asyncProperty(fc.constantFrom(...ALL_PATHS), badValue, async (path, value) => {
      // Act
      const error = await outcome(replaced(FIXTURE, path, value));

      // Assess
      return error === undefined || (error instanceof TemplateError && error.message.startsWith('bad-template'));
    });

    await fc.assert(property, { numRuns: 300, seed: 21 });
  });

  test('resources that depend on each other in a circle are refused, naming them', async () => {
    // Prepare
    const resources = FIXTURE.Resources as Record<string, Record<string, unknown>>;
    const property = fc.asyncProperty(
      fc.shuffledSubarray(Object.keys(resources), { minLength: 2, maxLength: 6 }),
      async (cycle) => {
        const template = structuredClone(FIXTURE) as { Resources: Record<string, Record<string, unknown>> };
        cycle.forEach((id, i) => {
          (template.Resources[id] as Record<string, unknown>).DependsOn = cycle[(i + 1) % cycle.length];
        });

        // Act
        const error = await outcome(template);

        // Assess
        return error instanceof TemplateError && cycle.some((id) => (error as Error).message.includes(id));
      },
    );

    await fc.assert(property, { numRuns: 40, seed: 22 });
  });

  test('what is not a template at all is refused with the reason', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({ Resources: {} }), fc.constant({ Resources: [] })),
        async (json) => {
          const error = await outcome(json);
          return error instanceof TemplateError && /template|Resources|resource/.test((error as Error).message);
        },
      ),
      { numRuns: 100, seed: 23 },
    );
  });
});
