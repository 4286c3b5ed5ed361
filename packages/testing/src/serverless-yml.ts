import { parse, type Tags } from 'yaml';

/** The parts of a serverless.yml that tests read. */
export interface ServerlessYml {
  service: string;
  provider: Record<string, unknown>;
  functions?: Record<string, Record<string, unknown>>;
  resources?: { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
}

// CloudFormation short forms (!Ref, !GetAtt, !Sub ...) read as their long form, as CloudFormation does.
const INTRINSICS = [
  'Ref',
  'GetAtt',
  'Sub',
  'Join',
  'Select',
  'Split',
  'If',
  'ImportValue',
  'Equals',
  'Not',
  'And',
  'Or',
];
const longForm = (name: string) => (name === 'Ref' ? 'Ref' : `Fn::${name}`);
const cloudFormationTags: Tags = INTRINSICS.flatMap((name) => [
  {
    tag: `!${name}`,
    resolve: (value: string) =>
      name === 'GetAtt' ? { [longForm(name)]: value.split('.', 2) } : { [longForm(name)]: value },
  },
  {
    tag: `!${name}`,
    collection: 'seq' as const,
    resolve: (value: { toJSON(): unknown }) => ({ [longForm(name)]: value.toJSON() }),
  },
  {
    tag: `!${name}`,
    collection: 'map' as const,
    resolve: (value: { toJSON(): unknown }) => ({ [longForm(name)]: value.toJSON() }),
  },
]) as Tags;

/** Parses a serverless.yml as written (variables such as `${sls:stage}` stay unresolved). */
export function parseServerlessYml(text: string): ServerlessYml {
  return parse(text, { customTags: cloudFormationTags }) as ServerlessYml;
}
