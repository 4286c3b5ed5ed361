import {
  DependencyCycleError,
  planStack,
  resolveOutputsOffline,
  type Template,
  TemplateError,
  UnsupportedIntrinsicError,
  UnsupportedResourceTypeError,
} from '../../src/cloudformation';
import { creationOrder } from '../../src/cloudformation/dependency-graph';
import { memoryLogger } from './recording-providers';

const queue = (properties: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  Type: 'AWS::SQS::Queue',
  Properties: properties,
  ...extra,
});

const plan = (template: unknown, options: { parameters?: Record<string, string | string[]> } = {}) =>
  planStack({ stackName: 'iot-test-local', template, logger: memoryLogger().logger, ...options });

describe('conditions', () => {
  const template: Template = {
    Parameters: {
      Stage: { Type: 'String', Default: 'local', AllowedValues: ['local', 'prod'] },
      Replicas: { Type: 'Number', Default: 1 },
    },
    Conditions: {
      IsLocal: { 'Fn::Equals': [{ Ref: 'Stage' }, 'local'] },
      IsProd: { 'Fn::Not': [{ Condition: 'IsLocal' }] },
      OneReplica: { 'Fn::Equals': [{ Ref: 'Replicas' }, 1] },
      LocalAndOne: { 'Fn::And': [{ Condition: 'IsLocal' }, { Condition: 'OneReplica' }] },
      ProdOrOne: { 'Fn::Or': [{ Condition: 'IsProd' }, { 'Fn::Equals': ['1', { Ref: 'Replicas' }] }] },
      InUsEast: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] },
    },
    Resources: {
      LocalQueue: queue({}, { Condition: 'IsLocal' }),
      ProdQueue: queue({}, { Condition: 'IsProd' }),
    },
    Outputs: {
      Which: { Value: { 'Fn::If': ['IsProd', { Ref: 'ProdQueue' }, 'no prod queue'] } },
      ProdUrl: { Value: { Ref: 'ProdQueue' }, Condition: 'IsProd' },
    },
  };

  it('evaluates Fn::Equals, Fn::Not, Fn::And, Fn::Or and Condition over parameters and pseudo parameters', () => {
    // Act
    const result = plan(template);

    // Assess
    expect(Object.fromEntries(result.conditions)).toEqual({
      IsLocal: true,
      IsProd: false,
      OneReplica: true,
      LocalAndOne: true,
      ProdOrOne: true,
      InUsEast: true,
    });
  });

  it('creates only resources and outputs whose condition holds', () => {
    // Act
    const result = plan(template, { parameters: { Stage: 'prod' } });

    // Assess
    expect(result.order).toEqual(['ProdQueue']);
    expect(result.skipped).toEqual([
      { logicalId: 'LocalQueue', type: 'AWS::SQS::Queue', reason: 'condition IsLocal is false' },
    ]);
    expect(result.outputs).toEqual(['Which', 'ProdUrl']);
  });

  it('lets Fn::If avoid a resource that is not created', () => {
    // Act
    const { outputs } = resolveOutputsOffline(template, { stackName: 'iot-test-local' });

    // Assess
    expect(outputs).toEqual({ Which: 'no prod queue' });
  });

  it('refuses a reference to a resource whose condition is false', () => {
    // Prepare
    const broken = { ...template, Resources: { ...template.Resources, Uses: queue({ Tags: [{ Ref: 'ProdQueue' }] }) } };

    // Act & Assess
    expect(() => plan(broken)).toThrow(
      'iot-test-local: resource Uses: refers to ProdQueue, which is not created because condition IsProd is false',
    );
  });

  it.each([
    [{ A: { Condition: 'B' }, B: { Condition: 'A' } }, 'circular conditions: A -> B -> A'],
    [{ A: { Condition: 'Nope' } }, 'condition A: refers to condition Nope, which is not declared'],
    [{ A: { 'Fn::Equals': [{ Ref: 'Queue' }, 'x'] } }, 'a condition can refer only to parameters, not Queue'],
    [{ A: { 'Fn::And': [{ Condition: 'B' }] }, B: { 'Fn::Equals': [1, 1] } }, 'Fn::And takes 2 to 10 conditions'],
    [{ A: 'true' }, 'is not a condition function'],
  ])('refuses the broken conditions %j', (conditions, message) => {
    // Prepare
    const broken = { Conditions: conditions, Resources: { Queue: queue() } };

    // Act & Assess
    expect(() => plan(broken)).toThrow(message);
  });

  it('refuses a resource naming an undeclared condition', () => {
    // Act & Assess
    expect(() => plan({ Resources: { Queue: queue({}, { Condition: 'Nope' }) } })).toThrow(
      'resource Queue: refers to condition Nope, which is not declared',
    );
  });
});

describe('parameters', () => {
  const template: Template = {
    Parameters: {
      Stage: { Type: 'String', AllowedValues: ['local', 'prod'] },
      Size: { Type: 'Number', Default: 5 },
      Names: { Type: 'CommaDelimitedList', Default: 'a, b,c' },
    },
    Resources: {
      Queue: queue({
        QueueName: {
          'Fn::Join': ['-', [{ Ref: 'Stage' }, { Ref: 'Size' }, { 'Fn::Join': ['-', { Ref: 'Names' }] }]],
        },
      }),
    },
    Outputs: { Name: { Value: { 'Fn::GetAtt': ['Queue', 'QueueName'] } } },
  };

  it('gives given values, defaults as strings and lists split on commas', () => {
    // Act
    const { outputs } = resolveOutputsOffline(template, { stackName: 's', parameters: { Stage: 'local' } });

    // Assess
    expect(outputs.Name).toBe('local-5-a-b-c');
  });

  it.each([
    [{}, 'parameter Stage: has no value and no Default'],
    [{ Stage: 'dev' }, 'parameter Stage: dev is not one of local, prod'],
    [{ Stage: 'local', Size: 'big' }, 'parameter Size: must be a number, not "big"'],
    [{ Stage: 'local', Other: 'x' }, 'parameter Other is given but the template does not declare it'],
  ])('refuses the parameters %j', (parameters, message) => {
    // Act & Assess
    expect(() => plan(template, { parameters })).toThrow(message);
  });
});

describe('parameter constraints', () => {
  const template: Template = {
    Parameters: {
      FleetResourceId: {
        Type: 'String',
        Default: '',
        AllowedPattern: '^[A-Za-z0-9]+$',
        ConstraintDescription: 'is missing: pass the param fleetResourceId',
      },
      Prefix: { Type: 'String', Default: 'ab', AllowedPattern: '[a-z]+', MinLength: 2, MaxLength: 4 },
      Shards: { Type: 'Number', Default: 1, MinValue: 1, MaxValue: 4 },
    },
    Resources: { Queue: queue() },
  };

  it('accepts values within every constraint', () => {
    // Act & Assess
    expect(() => plan(template, { parameters: { FleetResourceId: 'abc123' } })).not.toThrow();
  });

  it.each([
    [{}, 'parameter FleetResourceId: is missing: pass the param fleetResourceId'],
    [{ FleetResourceId: 'a', Prefix: 'ab1' }, 'parameter Prefix: "ab1" does not match the pattern [a-z]+'],
    [{ FleetResourceId: 'a', Prefix: 'abcde' }, 'parameter Prefix: must be at most 4 characters long'],
    [{ FleetResourceId: 'a', Prefix: 'a' }, 'parameter Prefix: must be at least 2 characters long'],
    [{ FleetResourceId: 'a', Shards: '5' }, 'parameter Shards: must be at most 4'],
    [{ FleetResourceId: 'a', Shards: '0' }, 'parameter Shards: must be at least 1'],
  ])('refuses the parameters %j with the constraint description or the constraint', (parameters, message) => {
    // Act & Assess
    expect(() => plan(template, { parameters })).toThrow(message);
  });
});

describe('creation order', () => {
  it('creates each resource after what it refers to or depends on, else in template order', () => {
    // Prepare
    const template = {
      Resources: {
        Function: {
          Type: 'AWS::Lambda::Function',
          Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } },
          DependsOn: 'Logs',
        },
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: { EventSourceArn: { 'Fn::Sub': '${Queue.Arn}' }, FunctionName: { Ref: 'Function' } },
        },
        Queue: queue(),
        Role: { Type: 'AWS::IAM::Role', Properties: { Path: '/' } },
        Logs: { Type: 'AWS::Logs::LogGroup', Properties: {} },
        Alone: queue(),
      },
    };

    // Act
    const result = plan(template);

    // Assess
    expect(result.order).toEqual(['Queue', 'Role', 'Logs', 'Function', 'Mapping', 'Alone']);
    expect(result.dependencies.get('Function')).toEqual(['Role', 'Logs']);
    expect(result.dependencies.get('Mapping')).toEqual(['Function', 'Queue']);
  });

  it('names the resources of a cycle', () => {
    // Prepare
    const template = {
      Resources: {
        Start: queue(),
        A: queue({ RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': 'B.Arn' } } }),
        B: queue({ RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': 'C.Arn' } } }),
        C: queue({}, { DependsOn: ['Start', 'A'] }),
      },
    };

    // Act
    const attempt = () => plan(template);

    // Assess
    expect(attempt).toThrow(DependencyCycleError);
    expect(attempt).toThrow('iot-test-local: circular dependency between resources: A -> B -> C -> A');
  });

  it('reports a resource depending on itself as a cycle', () => {
    // Act & Assess
    expect(() => creationOrder(new Map([['A', ['A']]]), { stackName: 's' })).toThrow('A -> A');
  });

  it.each([
    [
      { Queue: queue({ X: { Ref: 'Nope' } }) },
      'resource Queue: refers to Nope, which is not a resource of the template',
    ],
    [{ Queue: queue({ X: { 'Fn::GetAtt': 'Nope.Arn' } }) }, 'reads an attribute of Nope, which is not a resource'],
    [{ Queue: queue({}, { DependsOn: 'Nope' }) }, 'resource Queue: depends on Nope, which is not a resource'],
    [{ Queue: queue({ X: { Ref: 'AWS::Nope' } }) }, 'refers to AWS::Nope, an unknown pseudo parameter'],
    [{ 'My-Queue': queue() }, 'resource My-Queue: a logical id may hold only letters and digits'],
    [{ Queue: { Properties: {} } }, 'resource Queue: has no Type'],
  ])('refuses the broken resources %j', (resources, message) => {
    // Act & Assess
    expect(() => plan({ Resources: resources })).toThrow(message);
  });

  it('refuses what is not a template', () => {
    // Act & Assess
    expect(() => plan('nope')).toThrow('iot-test-local: the template is not a JSON object');
    expect(() => plan({ Resources: {} })).toThrow('declares no resources');
    expect(() => plan({ Transform: 'AWS::Serverless-2016-10-31', Resources: { Q: queue() } })).toThrow(
      'Transform AWS::Serverless-2016-10-31 is not supported',
    );
  });
});

describe('unsupported types and intrinsics', () => {
  it('skips an unsupported resource nothing depends on, with a warning', () => {
    // Prepare
    const { logger, warnings } = memoryLogger();
    const template = {
      Resources: {
        Queue: queue(),
        Alarm: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: { Dimensions: [{ Value: { 'Fn::GetAtt': 'Queue.QueueName' } }] },
        },
      },
    };

    // Act
    const result = planStack({ stackName: 'iot-test-local', template, logger });

    // Assess
    expect(result.order).toEqual(['Queue']);
    expect(result.skipped).toEqual([
      {
        logicalId: 'Alarm',
        type: 'AWS::CloudWatch::Alarm',
        reason: 'type AWS::CloudWatch::Alarm is not supported and nothing depends on it',
      },
    ]);
    expect(warnings).toEqual([
      'iot-test-local: skipping resource Alarm: type AWS::CloudWatch::Alarm is not supported and nothing depends on it',
    ]);
  });

  it('refuses an unsupported resource another resource depends on, naming both', () => {
    // Prepare
    const template = {
      Resources: {
        Secret: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
        Queue: queue({ Tags: [{ Key: 'secret', Value: { Ref: 'Secret' } }] }),
      },
    };

    // Act
    const attempt = () => plan(template);

    // Assess
    expect(attempt).toThrow(UnsupportedResourceTypeError);
    expect(attempt).toThrow(
      'iot-test-local: resource Secret has type AWS::SecretsManager::Secret, which the local cloud does not support, and Queue depends on it',
    );
  });

  it('refuses an unsupported resource an output reads', () => {
    // Prepare
    const template = {
      Resources: { Secret: { Type: 'AWS::SecretsManager::Secret' }, Queue: queue() },
      Outputs: { SecretArn: { Value: { Ref: 'Secret' } } },
    };

    // Act & Assess
    expect(() => plan(template)).toThrow('and output SecretArn depends on it');
  });

  it('skips unsupported resources that only unsupported, skipped resources depend on', () => {
    // Prepare
    const template = {
      Resources: {
        Queue: queue(),
        Secret: { Type: 'AWS::SecretsManager::Secret' },
        Attachment: {
          Type: 'AWS::SecretsManager::SecretTargetAttachment',
          Properties: { SecretId: { Ref: 'Secret' } },
        },
      },
    };

    // Act
    const result = plan(template);

    // Assess
    expect(result.order).toEqual(['Queue']);
    expect(result.skipped.map((s) => s.logicalId)).toEqual(['Secret', 'Attachment']);
  });

  it('skips a resource using an unsupported intrinsic when nothing depends on it', () => {
    // Prepare
    const { logger, warnings } = memoryLogger();
    const template = { Resources: { Queue: queue({ Block: { 'Fn::Cidr': ['10.0.0.0/16', 2, 8] } }) } };

    // Act
    const result = planStack({ stackName: 'iot-test-local', template, logger });

    // Assess
    expect(result.order).toEqual([]);
    expect(warnings).toEqual([
      'iot-test-local: skipping resource Queue: it uses Fn::Cidr, which is not supported, and nothing depends on it',
    ]);
  });

  it('refuses a resource using an unsupported intrinsic when another depends on it', () => {
    // Prepare
    const template = {
      Resources: {
        Queue: queue({ Block: { 'Fn::Transform': { Name: 'Macro' } } }),
        Other: queue({}, { DependsOn: 'Queue' }),
      },
    };

    // Act
    const attempt = () => plan(template);

    // Assess
    expect(attempt).toThrow(UnsupportedIntrinsicError);
    expect(attempt).toThrow(
      'iot-test-local: resource Queue (needed by Other): uses Fn::Transform, which the local cloud does not support',
    );
  });

  it('refuses an output using an unsupported intrinsic', () => {
    // Prepare
    const template = { Resources: { Queue: queue() }, Outputs: { X: { Value: { 'Fn::Length': [1, 2] } } } };

    // Act & Assess
    expect(() => plan(template)).toThrow('output X: uses Fn::Length');
  });

  it('gives TemplateError as the base class of every template error', () => {
    // Act & Assess
    expect(() => plan({ Resources: { Q: queue({ X: { Ref: 'Nope' } }) } })).toThrow(TemplateError);
  });
});
