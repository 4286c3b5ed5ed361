import { request } from 'node:http';
import { CreateStreamCommand, KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import type { AwsService } from '../../src/edge/aws-service';
import { startEdgeServer } from '../../src/edge/edge-server';
import { KinesisService } from '../../src/services/kinesis';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

const scopedTo = (region: string, service: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=AKID/20260101/${region}/${service}/aws4_request, Signature=x`,
});

/** A GET with the path sent exactly as written (fetch would resolve dot segments first). */
function get(base: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const { hostname, port } = new URL(base);
    const req = request({ hostname, port, path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('edge endpoint', () => {
  it('serves an SDK client that speaks HTTP/2 (Kinesis by default) on the same port as HTTP/1.1 clients', async () => {
    // Prepare
    const kinesis = await KinesisService.open({});
    const edge = await startEdgeServer({ services: [kinesis] });
    const client = new KinesisClient({ endpoint: edge.url, region: 'us-east-1', credentials });

    // Act
    await client.send(new CreateStreamCommand({ StreamName: 'telemetry', ShardCount: 1 }));
    const listed = await client.send(new ListStreamsCommand({}));

    // Assess
    expect(listed.StreamNames).toEqual(['telemetry']);
    client.destroy();
    await edge.close();
    await kinesis.close();
  });

  it('answers a request for a service it does not emulate with an error naming the service', async () => {
    // Prepare
    const edge = await startEdgeServer({ services: [] });

    // Act
    const answer = await get(edge.url, '/?Action=ListTopics', scopedTo('us-east-1', 'sns'));

    // Assess
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({
      __type: 'UnknownServiceException',
      message: 'The local cloud does not emulate the AWS service "sns"',
    });
    await edge.close();
  });

  it('dispatches on the credential scope and serves local routes unsigned', async () => {
    // Prepare
    const seen: string[] = [];
    const echo: AwsService = {
      signingName: 'echo',
      handle: async (request) => {
        seen.push(`${request.region} ${request.method} ${request.path}`);
        return { status: 200, body: 'ok' };
      },
    };
    const edge = await startEdgeServer({
      services: [echo],
      localRoutes: { health: async () => ({ status: 503, body: { deployed: false } }) },
    });

    // Act
    const signed = await get(edge.url, '/a/../b?x=1', scopedTo('eu-west-1', 'echo'));
    const unsigned = await get(edge.url, '/anything');
    const health = await get(edge.url, '/_local/health');

    // Assess
    expect(signed.status).toBe(200);
    expect(seen).toEqual(['eu-west-1 GET /a/../b']);
    expect(unsigned.status).toBe(400);
    expect(JSON.parse(unsigned.body)).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    expect(health).toEqual({ status: 503, body: '{"deployed":false}' });
    await edge.close();
  });
});
