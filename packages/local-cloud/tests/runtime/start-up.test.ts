import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeployedStack } from '../../src/cloudformation';
import { prepareDataFolder } from '../../src/runtime/data-folder';
import { HealthTracker } from '../../src/runtime/health';
import { checkPortsFree, PortInUseError } from '../../src/runtime/ports';
import { formatStartupReport, summarizeStack } from '../../src/runtime/stack-summary';

describe('the ports check', () => {
  let taken: Server;
  let port: number;

  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });

  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('names the endpoint of a port in use and the flag and variable that change it', async () => {
    // Act
    const checking = checkPortsFree([
      { name: 'edge endpoint', port, host: '127.0.0.1', flag: '--edge-port', env: 'IOT_LOCAL_EDGE_PORT' },
    ]);

    // Assess
    await expect(checking).rejects.toThrow(PortInUseError);
    await expect(checking).rejects.toThrow(
      `The edge endpoint cannot listen on 127.0.0.1:${port} (it is in use). Stop what uses it, or choose another port with --edge-port <port> (or IOT_LOCAL_EDGE_PORT).`,
    );
  });

  it('refuses two endpoints on one port, and accepts free ports and port 0', async () => {
    // Prepare
    const free = { name: 'REST API', port: 0, host: '127.0.0.1', flag: '--api-port' };

    // Act
    const clash = checkPortsFree([
      { name: 'edge endpoint', port, host: '127.0.0.1', flag: '--edge-port' },
      { name: 'REST API', port, host: '127.0.0.1', flag: '--api-port' },
    ]);

    // Assess
    await expect(clash).rejects.toThrow('(the edge endpoint is given the same port)');
    await expect(checkPortsFree([free, { ...free, name: 'MQTT broker' }])).resolves.toBeUndefined();
  });
});

describe('the data folder', () => {
  let parent: string;

  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'data-folder-'));
  });

  afterEach(() => rm(parent, { recursive: true, force: true }));

  it('is created with its marker, and emptied by a reset', async () => {
    // Prepare
    const dataDir = join(parent, '.local');
    await prepareDataFolder(dataDir);
    await writeFile(join(dataDir, 'sqs-queues.json'), '{}');

    // Act
    await prepareDataFolder(dataDir, { reset: true });

    // Assess
    expect(await readdir(dataDir)).toEqual(['.iot-local-data']);
  });

  it('is never emptied when it is not a data folder of the local cloud', async () => {
    // Prepare
    const elsewhere = join(parent, 'project');
    await mkdir(elsewhere);
    await writeFile(join(elsewhere, 'notes.txt'), 'keep me');

    // Act
    const resetting = prepareDataFolder(elsewhere, { reset: true });

    // Assess
    await expect(resetting).rejects.toThrow(/--reset refuses to empty .*project: it is not a local cloud data folder/);
    expect(existsSync(join(elsewhere, 'notes.txt'))).toBe(true);
  });
});

describe('the health report', () => {
  it('answers 503 with what is pending until every stack is deployed, then 200', () => {
    // Prepare
    const health = new HealthTracker('local', ['device-config-api', 'alerting']);

    // Act
    health.stack('device-config-api', 'deployed', { stackName: 'iot-device-config-api-local' });
    const starting = { status: health.httpStatus(), report: health.report() };
    health.stack('alerting', 'deployed', { stackName: 'iot-alerting-local' });
    health.set('healthy');

    // Assess
    expect(starting).toEqual({
      status: 503,
      report: {
        status: 'starting',
        stage: 'local',
        stacks: [
          { service: 'device-config-api', stackName: 'iot-device-config-api-local', status: 'deployed' },
          { service: 'alerting', status: 'pending' },
        ],
        pending: ['alerting'],
      },
    });
    expect(health.httpStatus()).toBe(200);
    expect(health.report().pending).toEqual([]);
  });

  it('reports a failed stack with its error, and the local cloud as failed', () => {
    // Prepare
    const health = new HealthTracker('local', ['alerting']);

    // Act
    health.stack('alerting', 'failed', { error: 'resource X: no provider' });

    // Assess
    expect(health.httpStatus()).toBe(503);
    expect(health.report()).toMatchObject({
      status: 'failed',
      stacks: [{ status: 'failed', error: 'resource X: no provider' }],
    });
  });
});

describe('the start-up table', () => {
  const resource = (type: string, physicalId: string, properties: Record<string, unknown> = {}, attributes = {}) => ({
    logicalId: physicalId,
    type,
    physicalId,
    attributes,
    properties,
    provisioned: true,
  });
  const stack = {
    stackName: 'iot-demo-local',
    stackId: 'id',
    region: 'us-east-1',
    order: ['fn', 'table', 'queue', 'bucket', 'ServerlessDeploymentBucket', 'get', 'options', 'mapping'],
    resources: {
      fn: resource('AWS::Lambda::Function', 'iot-demo-local-aggregate'),
      table: resource('AWS::DynamoDB::Table', 'iot-demo-local-metrics'),
      queue: resource('AWS::SQS::Queue', 'http://127.0.0.1:4566/000000000000/failures', {}, { QueueName: 'failures' }),
      bucket: resource('AWS::S3::Bucket', 'archive'),
      ServerlessDeploymentBucket: resource('AWS::S3::Bucket', 'deployment-bucket'),
      get: resource('AWS::ApiGateway::Method', 'get', { HttpMethod: 'GET', RestApiId: 'api', ResourceId: 'r1' }),
      options: resource('AWS::ApiGateway::Method', 'options', {
        HttpMethod: 'OPTIONS',
        RestApiId: 'api',
        ResourceId: 'r1',
      }),
      mapping: resource('AWS::Lambda::EventSourceMapping', 'uuid', {
        EventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/telemetry',
        FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:iot-demo-local-aggregate',
      }),
    },
    skipped: [],
    outputs: { MetricsTableName: 'iot-demo-local-metrics' },
    exports: {},
  } as DeployedStack;

  it('lists what a stack holds, without CORS preflights or the deployment bucket', () => {
    // Act
    const summary = summarizeStack('demo', stack, { reused: true, routePath: () => '/devices/{deviceId}/metrics' });
    const text = formatStartupReport({
      endpoints: { edge: 'http://127.0.0.1:4566' },
      stacks: [summary],
      stage: 'local',
      seconds: 2.34,
      dataDir: '/repo/.local',
    });

    // Assess
    expect(summary).toMatchObject({
      functions: ['iot-demo-local-aggregate'],
      tables: ['iot-demo-local-metrics'],
      queues: ['failures'],
      buckets: ['archive'],
      routes: ['GET /devices/{deviceId}/metrics'],
      eventSources: ['telemetry -> iot-demo-local-aggregate'],
    });
    expect(text.split('\n')).toEqual([
      'Endpoints',
      '  edge  http://127.0.0.1:4566',
      '',
      'Deployed 1 stack (stage local) in 2.3 s, data in /repo/.local',
      '',
      '  iot-demo-local (package reused)',
      '    functions      iot-demo-local-aggregate',
      '    routes         GET /devices/{deviceId}/metrics',
      '    tables         iot-demo-local-metrics',
      '    queues         failures',
      '    buckets        archive',
      '    event sources  telemetry -> iot-demo-local-aggregate',
    ]);
  });
});
