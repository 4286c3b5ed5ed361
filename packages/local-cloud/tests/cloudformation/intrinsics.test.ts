import { TemplateError, UnsupportedIntrinsicError } from '../../src/cloudformation/errors';
import {
  collectReferences,
  NO_VALUE,
  parseSub,
  type ResolutionContext,
  resolveValue,
} from '../../src/cloudformation/intrinsics';

const location = { stackName: 'test-stack', where: 'resource Thing' };

/** A context over fixed values: parameters and pseudo parameters by name, attributes as `Res.Attr`. */
function contextOf(values: {
  refs?: Record<string, unknown>;
  attributes?: Record<string, unknown>;
  conditions?: Record<string, boolean>;
  exports?: Record<string, string>;
}): ResolutionContext {
  const missing = (what: string) => {
    throw new TemplateError(location, `unknown ${what}`);
  };
  return {
    location,
    region: 'eu-west-1',
    ref: (name) => (Object.hasOwn(values.refs ?? {}, name) ? values.refs?.[name] : missing(name)),
    getAtt: (id, attribute) => values.attributes?.[`${id}.${attribute}`] ?? missing(`${id}.${attribute}`),
    condition: (name) => values.conditions?.[name] ?? missing(`condition ${name}`),
    importValue: (name) => values.exports?.[name] ?? missing(`export ${name}`),
    findInMap: (map, top, second) => (map === 'Sizes' && top === 'local' ? `${second}-small` : missing('mapping')),
  };
}

const context = contextOf({
  refs: {
    'AWS::Region': 'eu-west-1',
    'AWS::AccountId': '000000000000',
    'AWS::StackName': 'iot-alerting-local',
    Stage: 'local',
    Queue: 'http://localhost:4566/000000000000/jobs',
    Zones: ['a', 'b'],
    Count: 3,
  },
  attributes: {
    'Table.Arn': 'arn:aws:dynamodb:eu-west-1:000000000000:table/devices',
    'Table.StreamArn': 'arn:aws:dynamodb:eu-west-1:000000000000:table/devices/stream/x',
    'Api.RootResourceId': 'root123456',
  },
  conditions: { IsLocal: true, IsProd: false },
  exports: { 'upstream-TopicArn': 'arn:aws:sns:eu-west-1:000000000000:alerts' },
});

describe('resolveValue', () => {
  it('leaves plain values and objects as they are', () => {
    // Prepare
    const value = { a: 1, b: [true, 'x', null], c: { d: 'e' } };

    // Act
    const resolved = resolveValue(value, context);

    // Assess
    expect(resolved).toEqual(value);
  });

  describe('Ref', () => {
    it('gives the value of a parameter, pseudo parameter or resource', () => {
      // Act
      const resolved = resolveValue([{ Ref: 'Stage' }, { Ref: 'AWS::Region' }, { Ref: 'Queue' }], context);

      // Assess
      expect(resolved).toEqual(['local', 'eu-west-1', 'http://localhost:4566/000000000000/jobs']);
    });

    it('removes a property or list element that is AWS::NoValue', () => {
      // Prepare
      const value = { Keep: 'x', Drop: { Ref: 'AWS::NoValue' }, List: ['a', { Ref: 'AWS::NoValue' }, 'b'] };

      // Act
      const resolved = resolveValue(value, context);

      // Assess
      expect(resolved).toEqual({ Keep: 'x', List: ['a', 'b'] });
    });

    it('gives NO_VALUE for AWS::NoValue at the top', () => {
      // Act & Assess
      expect(resolveValue({ Ref: 'AWS::NoValue' }, context)).toBe(NO_VALUE);
    });

    it('refuses an argument that is not a name', () => {
      // Act & Assess
      expect(() => resolveValue({ Ref: { 'Fn::Sub': 'Stage' } }, context)).toThrow('Ref takes a logical id');
    });
  });

  describe('Fn::GetAtt', () => {
    it('reads an attribute in the list form', () => {
      // Act & Assess
      expect(resolveValue({ 'Fn::GetAtt': ['Table', 'Arn'] }, context)).toBe(
        'arn:aws:dynamodb:eu-west-1:000000000000:table/devices',
      );
    });

    it('reads an attribute in the dotted string form', () => {
      // Act & Assess
      expect(resolveValue({ 'Fn::GetAtt': 'Table.StreamArn' }, context)).toBe(
        'arn:aws:dynamodb:eu-west-1:000000000000:table/devices/stream/x',
      );
    });

    it('resolves an attribute name given by an intrinsic', () => {
      // Act & Assess
      expect(resolveValue({ 'Fn::GetAtt': ['Table', { 'Fn::Join': ['', ['Ar', 'n']] }] }, context)).toBe(
        'arn:aws:dynamodb:eu-west-1:000000000000:table/devices',
      );
    });

    it.each([[{ 'Fn::GetAtt': 'TableArn' }], [{ 'Fn::GetAtt': ['Table'] }], [{ 'Fn::GetAtt': 'Table.' }]])(
      'refuses the malformed %j',
      (value) => {
        // Act & Assess
        expect(() => resolveValue(value, context)).toThrow(TemplateError);
      },
    );
  });

  describe('Fn::Join', () => {
    it('joins strings, numbers and resolved values, dropping AWS::NoValue', () => {
      // Prepare
      const value = { 'Fn::Join': ['-', ['iot', { Ref: 'Stage' }, 7, { Ref: 'AWS::NoValue' }, true]] };

      // Act & Assess
      expect(resolveValue(value, context)).toBe('iot-local-7-true');
    });

    it('joins a list given by an intrinsic', () => {
      // Act & Assess
      expect(resolveValue({ 'Fn::Join': ['+', { Ref: 'Zones' }] }, context)).toBe('a+b');
    });

    it('refuses an object among the values', () => {
      // Act & Assess
      expect(() => resolveValue({ 'Fn::Join': ['', ['a', { b: 1 }]] }, context)).toThrow(
        'Each value of Fn::Join must be a string, not an object',
      );
    });

    it('refuses a value that is not a list', () => {
      // Act & Assess
      expect(() => resolveValue({ 'Fn::Join': ['', 'abc'] }, context)).toThrow('must be a list');
    });
  });

  describe('Fn::Sub', () => {
    it('substitutes pseudo parameters, parameters, resources and attributes', () => {
      // Prepare
      const value = { 'Fn::Sub': 'arn:aws:x:${AWS::Region}:${AWS::AccountId}:${Stage}/${Table.Arn}' };

      // Act & Assess
      expect(resolveValue(value, context)).toBe(
        'arn:aws:x:eu-west-1:000000000000:local/arn:aws:dynamodb:eu-west-1:000000000000:table/devices',
      );
    });

    it('takes variables from its map first, resolving them', () => {
      // Prepare
      const value = { 'Fn::Sub': ['${Stage}-${Name}-${Count}', { Stage: 'prod', Name: { Ref: 'Stage' } }] };

      // Act & Assess
      expect(resolveValue(value, context)).toBe('prod-local-3');
    });

    it('writes ${!Literal} as ${Literal}', () => {
      // Act & Assess
      expect(resolveValue({ 'Fn::Sub': '${!Stage} is ${Stage}' }, context)).toBe('${Stage} is local');
    });

    it('refuses a variable that is a list', () => {
      // Act & Assess
      expect(() => resolveValue({ 'Fn::Sub': '${Zones}' }, context)).toThrow(
        'Fn::Sub variable ${Zones} must be a string, not a list',
      );
    });

    it('refuses an unclosed variable', () => {
      // Act & Assess
      expect(() => resolveValue({ 'Fn::Sub': 'x-${Stage' }, context)).toThrow('unclosed');
    });

    it('refuses a malformed argument', () => {
      // Act & Assess
      expect(() => resolveValue({ 'Fn::Sub': ['a', 'b', 'c'] }, context)).toThrow('Fn::Sub takes a string');
    });
  });

  describe('Fn::Select and Fn::Split', () => {
    it('selects from a split string', () => {
      // Prepare
      const value = { 'Fn::Select': ['1', { 'Fn::Split': ['/', 'a/b/c'] }] };

      // Act & Assess
      expect(resolveValue(value, context)).toBe('b');
    });

    it('selects the queue name from a queue URL, nested in a join', () => {
      // Prepare
      const value = { 'Fn::Join': ['', ['q=', { 'Fn::Select': [4, { 'Fn::Split': ['/', { Ref: 'Queue' }] }] }]] };

      // Act & Assess
      expect(resolveValue(value, context)).toBe('q=jobs');
    });

    it('refuses an index out of range', () => {
      // Act & Assess
      expect(() => resolveValue({ 'Fn::Select': [2, ['a', 'b']] }, context)).toThrow(
        'Fn::Select index 2 is out of range for a list of 2',
      );
    });

    it('refuses an index that is not a whole number', () => {
      // Act & Assess
      expect(() => resolveValue({ 'Fn::Select': ['x', ['a']] }, context)).toThrow('must be a whole number');
    });

    it('refuses an empty delimiter', () => {
      // Act & Assess
      expect(() => resolveValue({ 'Fn::Split': ['', 'a'] }, context)).toThrow('non-empty');
    });
  });

  describe('Fn::If', () => {
    it('resolves only the branch its condition takes', () => {
      // Prepare
      const value = {
        Local: { 'Fn::If': ['IsLocal', 'yes', { Ref: 'Missing' }] },
        Prod: { 'Fn::If': ['IsProd', { Ref: 'Missing' }, { Ref: 'AWS::NoValue' }] },
      };

      // Act
      const resolved = resolveValue(value, context);

      // Assess
      expect(resolved).toEqual({ Local: 'yes' });
    });

    it('fails on an unknown condition', () => {
      // Act & Assess
      expect(() => resolveValue({ 'Fn::If': ['Nope', 1, 2] }, context)).toThrow('unknown condition Nope');
    });
  });

  describe('other functions', () => {
    it('imports an exported value by a resolved name', () => {
      // Act & Assess
      expect(resolveValue({ 'Fn::ImportValue': { 'Fn::Sub': 'upstream-TopicArn' } }, context)).toBe(
        'arn:aws:sns:eu-west-1:000000000000:alerts',
      );
    });

    it('lists availability zones of the current region', () => {
      // Act & Assess
      expect(resolveValue({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }, context)).toBe('eu-west-1a');
    });

    it('finds values in mappings and encodes base64', () => {
      // Act & Assess
      expect(resolveValue({ 'Fn::FindInMap': ['Sizes', { Ref: 'Stage' }, 'memory'] }, context)).toBe('memory-small');
      expect(resolveValue({ 'Fn::Base64': 'hi' }, context)).toBe('aGk=');
    });

    it('names an unsupported intrinsic in the error', () => {
      // Act
      const attempt = () => resolveValue({ CidrBlock: { 'Fn::Cidr': ['10.0.0.0/16', 2, 8] } }, context);

      // Assess
      expect(attempt).toThrow(UnsupportedIntrinsicError);
      expect(attempt).toThrow('test-stack: resource Thing: uses Fn::Cidr, which the local cloud does not support');
    });

    it('refuses a condition function outside Conditions', () => {
      // Act & Assess
      expect(() => resolveValue({ 'Fn::Equals': ['a', 'a'] }, context)).toThrow('only in Conditions');
    });

    it('does not mistake an object with several keys for an intrinsic', () => {
      // Prepare
      const value = { Ref: 'Stage', Other: 1 };

      // Act & Assess
      expect(resolveValue(value, context)).toEqual(value);
    });
  });
});

describe('parseSub', () => {
  it('splits literals and variables', () => {
    // Act
    const parts = parseSub('a-${B}-${!C}-${D.E}', location);

    // Assess
    expect(parts).toEqual([{ literal: 'a-' }, { variable: 'B' }, { literal: '-${C}-' }, { variable: 'D.E' }]);
  });
});

describe('collectReferences', () => {
  it('finds names in Ref, GetAtt and Sub, following the branch Fn::If takes', () => {
    // Prepare
    const value = {
      A: { Ref: 'Queue' },
      B: { 'Fn::GetAtt': 'Table.Arn' },
      C: { 'Fn::Sub': ['${AWS::Region}/${Topic}/${Fn.Arn}/${Local}/${!Skipped}', { Local: { Ref: 'Stage' } }] },
      D: { 'Fn::If': ['IsProd', { Ref: 'ProdOnly' }, { Ref: 'LocalOnly' }] },
      E: { 'Fn::Cidr': [{ Ref: 'Range' }] },
    };

    // Act
    const references = collectReferences(value, (name) => name === 'IsLocal', location);

    // Assess
    expect([...references.refs].sort()).toEqual(['AWS::Region', 'LocalOnly', 'Queue', 'Range', 'Stage', 'Topic']);
    expect([...references.attributeOf].sort()).toEqual(['Fn', 'Table']);
    expect([...references.unsupported]).toEqual(['Fn::Cidr']);
  });
});
