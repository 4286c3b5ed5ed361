/**
 * The packaged template of iot-device-config-api deployed through the CloudFormation interpreter with the API Gateway
 * and Cognito providers, served by the REST API emulation with the Cognito strategy: what `pnpm start` assembles.
 * (The fixture is `serverless package --stage local` of services/device-config-api.)
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DeployedStack,
  deployStack,
  RESOURCE_TYPES,
  type ResourceProviders,
  recordOnlyProvider,
} from '../../../src/cloudformation';
import {
  apiGatewayResourceProviders,
  RestApiRegistry,
  type RestApiServer,
  startRestApiServer,
} from '../../../src/services/apigateway';
import { startLocalCognito } from '../../../src/services/cognito';
import { RecordingInvoker, RecordingLogger } from '../apigateway/support';

const TEMPLATE = join(__dirname, 'fixtures', 'iot-device-config-api-local.template.json');

describe('COGNITO_USER_POOLS authorizer of the deployed REST API', () => {
  let dataDir: string;
  let cognito: Awaited<ReturnType<typeof startLocalCognito>>;
  let stack: DeployedStack;
  let server: RestApiServer;
  let invoker: RecordingInvoker;
  let base: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cognito-api-'));
    cognito = await startLocalCognito({ dataDir });
    const registry = new RestApiRegistry(new RecordingLogger());
    const providers = {
      ...Object.fromEntries(Object.keys(RESOURCE_TYPES).map((type) => [type, recordOnlyProvider])),
      ...apiGatewayResourceProviders(registry),
      ...cognito.providers,
    } as ResourceProviders;
    stack = await deployStack({
      stackName: 'iot-device-config-api-local',
      template: JSON.parse(readFileSync(TEMPLATE, 'utf8')),
      providers,
      logger: { info: () => undefined, warn: () => undefined },
    });
    invoker = new RecordingInvoker();
    server = await startRestApiServer({
      registry,
      invoker,
      port: 0,
      authorize: cognito.authorize,
      logger: new RecordingLogger(),
    });
    base = server.stageUrl('local');
  });
  afterAll(async () => {
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const token = async (options: { expiresIn?: number; issuedAt?: number } = {}) =>
    cognito.issuer.mintToken({ audience: stack.outputs.UserPoolClientId as string, username: 'demo', ...options });

  it('records the pool and its app client under the ids of the outputs', () => {
    // Assess
    const pool = cognito.registry.userPool(stack.outputs.UserPoolId as string);
    expect(pool?.arn).toBe(stack.outputs.UserPoolArn);
    expect(cognito.registry.clientsOf(pool?.id as string).map((c) => c.clientId)).toEqual([
      stack.outputs.UserPoolClientId,
    ]);
    expect(cognito.issuer.issuerOf(pool?.id as string)).toBe(stack.outputs.UserPoolProviderUrl);
  });

  it('refuses a request without a token with the problem details of the gateway response, readable cross-origin', async () => {
    // Act
    const response = await fetch(`${base}/devices`);

    // Assess
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toMatchObject({ title: 'Unauthorized', status: 401, detail: 'Unauthorized' });
    expect(invoker.calls).toHaveLength(0);
  });

  it('passes a minted token to the function with the claims in requestContext.authorizer', async () => {
    // Prepare
    const minted = await token();

    // Act
    const response = await fetch(`${base}/devices/d-1/config`, { headers: { Authorization: minted.token } });

    // Assess
    expect(response.status).toBe(200);
    const event = invoker.lastEvent();
    expect(event.requestContext.authorizer).toEqual({
      claims: expect.objectContaining({ sub: minted.sub, 'cognito:username': 'demo', token_use: 'id' }),
    });
  });

  it('refuses an expired token and serves /openapi.json without one', async () => {
    // Prepare
    const expired = await token({ issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresIn: 60 });
    const calls = invoker.calls.length;

    // Act
    const refused = await fetch(`${base}/devices`, { headers: { Authorization: `Bearer ${expired.token}` } });
    const document = await fetch(`${base}/openapi.json`);

    // Assess
    expect(refused.status).toBe(401);
    expect(document.status).toBe(200);
    expect(invoker.calls).toHaveLength(calls + 1);
  });

  it('serves the JWKS, the OpenID configuration and minted tokens on its local routes', async () => {
    // Prepare
    const poolId = stack.outputs.UserPoolId as string;
    const route = (path: string, method = 'GET', body = '') =>
      cognito.localRoute({
        method,
        path,
        query: new URLSearchParams(),
        headers: { host: '127.0.0.1:4566' },
        body: Buffer.from(body),
        region: 'us-east-1',
        accountId: '000000000000',
      });

    // Act
    const jwks = await route(`/_local/cognito/${poolId}/.well-known/jwks.json`);
    const openid = await route(`/_local/cognito/${poolId}/.well-known/openid-configuration`);
    const minted = await route('/_local/cognito/tokens', 'POST', JSON.stringify({ username: 'bob' }));
    const unknown = await route('/_local/cognito/us-east-1_Nope12345/.well-known/jwks.json');

    // Assess
    expect(jwks).toEqual({ status: 200, body: cognito.issuer.jwks() });
    expect(openid.body).toMatchObject({
      issuer: stack.outputs.UserPoolProviderUrl,
      jwks_uri: `http://127.0.0.1:4566/_local/cognito/${poolId}/.well-known/jwks.json`,
    });
    expect(minted.status).toBe(200);
    const answer = await fetch(`${base}/devices`, {
      headers: { Authorization: (minted.body as { token: string }).token },
    });
    expect(answer.status).toBe(200);
    expect(unknown.status).toBe(404);
  });
});
