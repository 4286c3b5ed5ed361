import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, importJWK, type JWTPayload, type KeyLike, SignJWT, UnsecuredJWT } from 'jose';
import type { AuthorizationRequest, AuthorizerRecord } from '../../../src/services/apigateway';
import {
  apiGatewayClaims,
  claimDate,
  cognitoAuthorizeStrategy,
  LocalTokenIssuer,
  SIGNING_KEY_FILE,
  UserPoolRegistry,
} from '../../../src/services/cognito';

const POOL = 'us-east-1_AbCdEfGhI';
const OTHER_POOL = 'us-east-1_ZyXwVuTsR';
const CLIENT = '5q2k3l4m5n6o7p8q9r0s1t2u3v';
const OTHER_CLIENT = '9z8y7x6w5v4u3t2s1r0q9p8o7n';
const NOW = 1_767_225_600_000;

const authorizer = (pools = [POOL], extra: Partial<AuthorizerRecord['properties']> = {}): AuthorizerRecord => ({
  id: 'auth01',
  properties: {
    RestApiId: 'api123',
    Type: 'COGNITO_USER_POOLS',
    IdentitySource: 'method.request.header.Authorization',
    ProviderARNs: pools.map((id) => `arn:aws:cognito-idp:us-east-1:000000000000:userpool/${id}`),
    ...extra,
  },
});

const requestWith = (headers: Record<string, string>, scopes?: string[]): AuthorizationRequest => ({
  restApiId: 'api123',
  stage: 'local',
  httpMethod: 'GET',
  path: '/devices',
  resourcePath: '/devices',
  headers,
  queryStringParameters: {},
  pathParameters: {},
  stageVariables: {},
  sourceIp: '127.0.0.1',
  method: {
    RestApiId: 'api123',
    ResourceId: 'res1',
    HttpMethod: 'GET',
    AuthorizationType: 'COGNITO_USER_POOLS',
    AuthorizerId: 'auth01',
    ...(scopes ? { AuthorizationScopes: scopes } : {}),
  },
});

describe('cognitoAuthorizeStrategy', () => {
  let dataDir: string;
  let issuer: LocalTokenIssuer;
  let authorize: ReturnType<typeof cognitoAuthorizeStrategy>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cognito-'));
    const registry = new UserPoolRegistry();
    registry.putUserPool({ id: POOL });
    registry.putUserPool({ id: OTHER_POOL });
    registry.putClient({ clientId: CLIENT, userPoolId: POOL });
    registry.putClient({ clientId: OTHER_CLIENT, userPoolId: OTHER_POOL });
    issuer = await LocalTokenIssuer.open({ dataDir, registry, now: () => NOW });
    authorize = cognitoAuthorizeStrategy({ issuer, registry, now: () => NOW });
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  const idToken = async (options: { audience?: string; issuedAt?: number; expiresIn?: number } = {}) =>
    (
      await issuer.mintToken({
        audience: options.audience ?? CLIENT,
        username: 'alice',
        email: 'alice@example.com',
        issuedAt: options.issuedAt ?? NOW / 1000,
        expiresIn: options.expiresIn ?? 3600,
      })
    ).token;

  it('lets a valid ID token through with its claims as API Gateway hands them on: all strings', async () => {
    // Prepare
    const token = await idToken();

    // Act
    const decision = await authorize(requestWith({ authorization: token }), authorizer());

    // Assess
    expect(decision).toEqual({
      allow: true,
      authorizerContext: {
        claims: expect.objectContaining({
          sub: issuer.subOf(POOL, 'alice'),
          aud: CLIENT,
          token_use: 'id',
          'cognito:username': 'alice',
          email: 'alice@example.com',
          email_verified: 'true',
          iss: `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`,
          auth_time: String(NOW / 1000),
          iat: 'Thu Jan 01 00:00:00 UTC 2026',
          exp: 'Thu Jan 01 01:00:00 UTC 2026',
        }),
      },
    });
  });

  it('accepts the token after "Bearer ", and in the header the identity source names', async () => {
    // Prepare
    const token = await idToken();

    // Act
    const bearer = await authorize(requestWith({ authorization: `Bearer ${token}` }), authorizer());
    const custom = await authorize(
      requestWith({ 'x-id-token': token }),
      authorizer([POOL], { IdentitySource: 'method.request.header.X-Id-Token' }),
    );

    // Assess
    expect(bearer.allow).toBe(true);
    expect(custom.allow).toBe(true);
  });

  it('refuses an expired token with 401 Unauthorized', async () => {
    // Prepare
    const token = await idToken({ issuedAt: NOW / 1000 - 7200, expiresIn: 3600 });

    // Act
    const decision = await authorize(requestWith({ authorization: token }), authorizer());

    // Assess
    expect(decision).toEqual({ allow: false, statusCode: 401, message: 'Unauthorized' });
  });

  it('refuses a token signed by another key, even with the same kid', async () => {
    // Prepare
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ token_use: 'id', sub: 'mallory', 'cognito:username': 'mallory' })
      .setProtectedHeader({ alg: 'RS256', kid: issuer.keyId })
      .setIssuer(issuer.issuerOf(POOL))
      .setAudience(CLIENT)
      .setIssuedAt(NOW / 1000)
      .setExpirationTime(NOW / 1000 + 3600)
      .sign(privateKey);

    // Act
    const decision = await authorize(requestWith({ authorization: forged }), authorizer());

    // Assess
    expect(decision).toMatchObject({ allow: false, statusCode: 401 });
  });

  it('refuses a token whose payload was changed after signing', async () => {
    // Prepare
    const [header, , signature] = (await idToken()).split('.');
    const payload = Buffer.from(JSON.stringify({ sub: 'someone-else', aud: CLIENT, token_use: 'id' })).toString(
      'base64url',
    );

    // Act
    const decision = await authorize(requestWith({ authorization: `${header}.${payload}.${signature}` }), authorizer());

    // Assess
    expect(decision).toMatchObject({ allow: false, statusCode: 401 });
  });

  /** A token signed with the pool's own key, with exactly the claims given: what only a key holder could make. */
  const signedByThePool = async (claims: JWTPayload, header: { alg: string; kid?: string } = { alg: 'RS256' }) => {
    const { privateJwk } = JSON.parse(await readFile(join(dataDir, SIGNING_KEY_FILE), 'utf8'));
    const key = (await importJWK(privateJwk, 'RS256')) as KeyLike;
    return new SignJWT(claims).setProtectedHeader({ kid: issuer.keyId, ...header }).sign(key);
  };
  const validClaims = () => ({
    sub: 'alice-sub',
    token_use: 'id',
    'cognito:username': 'alice',
    iss: issuer.issuerOf(POOL),
    aud: CLIENT,
    iat: NOW / 1000,
    exp: NOW / 1000 + 3600,
  });

  it('takes a token it did not mint when the pool signed it with the claims Cognito sets (the control case)', async () => {
    // Act
    const decision = await authorize(
      requestWith({ authorization: await signedByThePool(validClaims()) }),
      authorizer(),
    );

    // Assess
    expect(decision).toMatchObject({ allow: true });
  });

  it.each<[string, (claims: ReturnType<typeof validClaims>) => Partial<ReturnType<typeof validClaims>>]>([
    ['no exp', ({ exp: _, ...rest }) => rest],
    ['no iss', ({ iss: _, ...rest }) => rest],
    ['no iat', ({ iat: _, ...rest }) => rest],
    ['no sub', ({ sub: _, ...rest }) => rest],
    ['no token_use', ({ token_use: _, ...rest }) => rest],
    ['token_use access without scopes on the method', (claims) => ({ ...claims, token_use: 'access' })],
    ['an audience of no app client', (claims) => ({ ...claims, aud: 'someone-elses-client' })],
    ['an issuer of another region', (claims) => ({ ...claims, iss: claims.iss.replace('us-east-1', 'eu-west-1') })],
    ['a not-before in the future', (claims) => ({ ...claims, nbf: NOW / 1000 + 600 })],
    ['an expiry of one second ago', (claims) => ({ ...claims, exp: NOW / 1000 - 1 })],
  ])('refuses a token signed by the pool with %s (401)', async (_, change) => {
    // Prepare
    const token = await signedByThePool(change(validClaims()));

    // Act
    const decision = await authorize(requestWith({ authorization: token }), authorizer());

    // Assess
    expect(decision).toEqual({ allow: false, statusCode: 401, message: 'Unauthorized' });
  });

  it('refuses an unsigned token (alg none) and one signed with HS256 using the public key as the secret', async () => {
    // Prepare
    const unsigned = new UnsecuredJWT(validClaims()).encode();
    const publicKeyAsSecret = new TextEncoder().encode(JSON.stringify(issuer.jwks().keys[0]));
    const confused = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'HS256', kid: issuer.keyId })
      .sign(publicKeyAsSecret);

    // Act
    const decisions = await Promise.all(
      [unsigned, confused].map((token) => authorize(requestWith({ authorization: token }), authorizer())),
    );

    // Assess
    expect(decisions).toEqual([
      { allow: false, statusCode: 401, message: 'Unauthorized' },
      { allow: false, statusCode: 401, message: 'Unauthorized' },
    ]);
  });

  it("refuses a token for another pool's client (wrong audience and issuer)", async () => {
    // Prepare
    const token = await idToken({ audience: OTHER_CLIENT });

    // Act
    const decision = await authorize(requestWith({ authorization: token }), authorizer([POOL]));

    // Assess
    expect(decision).toMatchObject({ allow: false, statusCode: 401 });
  });

  it('refuses a token of the right pool whose audience is not one of its app clients', async () => {
    // Prepare: the authorizer's pool knows only another app client.
    const registry = new UserPoolRegistry();
    registry.putUserPool({ id: POOL });
    registry.putClient({ clientId: 'the-only-client', userPoolId: POOL });
    const strategy = cognitoAuthorizeStrategy({ issuer, registry, now: () => NOW });
    const token = await idToken();

    // Act
    const decision = await strategy(requestWith({ authorization: token }), authorizer([POOL]));

    // Assess
    expect(decision).toMatchObject({ allow: false, statusCode: 401 });
  });

  it.each([
    ['no token', {}],
    ['an empty header', { authorization: '' }],
    ['a header that is not a JWT', { authorization: 'let-me-in' }],
  ])('refuses %s with 401', async (_, headers) => {
    // Act
    const decision = await authorize(requestWith(headers), authorizer());

    // Assess
    expect(decision).toEqual({ allow: false, statusCode: 401, message: 'Unauthorized' });
  });

  it('takes access tokens only on methods with scopes, and refuses a token lacking them with 403', async () => {
    // Prepare
    const access = async (scopes: string[]) =>
      (
        await issuer.mintToken({
          audience: CLIENT,
          username: 'alice',
          tokenUse: 'access',
          scopes,
          issuedAt: NOW / 1000,
        })
      ).token;

    // Act
    const noScopesMethod = await authorize(requestWith({ authorization: await access([]) }), authorizer());
    const granted = await authorize(
      requestWith({ authorization: await access(['api/read']) }, ['api/read']),
      authorizer(),
    );
    const lacking = await authorize(
      requestWith({ authorization: await access(['api/write']) }, ['api/read']),
      authorizer(),
    );
    const idOnScoped = await authorize(requestWith({ authorization: await idToken() }, ['api/read']), authorizer());

    // Assess
    expect(noScopesMethod).toMatchObject({ allow: false, statusCode: 401 });
    expect(granted).toMatchObject({ allow: true, authorizerContext: { claims: { client_id: CLIENT } } });
    expect(lacking).toMatchObject({ allow: false, statusCode: 403 });
    expect(idOnScoped).toMatchObject({ allow: false, statusCode: 401 });
  });

  it('hands Lambda (CUSTOM) authorizers to the strategy given for them', async () => {
    // Prepare
    const strategy = cognitoAuthorizeStrategy({
      issuer,
      registry: new UserPoolRegistry(),
      otherAuthorizers: () => ({ allow: false, statusCode: 403 }),
    });

    // Act
    const decision = await strategy(requestWith({}), { id: 'l1', properties: { RestApiId: 'api123', Type: 'TOKEN' } });

    // Assess
    expect(decision).toEqual({ allow: false, statusCode: 403 });
  });
});

describe('apiGatewayClaims', () => {
  it('writes times as API Gateway does and joins lists', () => {
    // Act
    const claims = apiGatewayClaims({
      exp: 1_469_818_373,
      'cognito:groups': ['admins', 'users'],
      email_verified: true,
    });

    // Assess
    expect(claims).toEqual({
      exp: 'Fri Jul 29 18:52:53 UTC 2016',
      'cognito:groups': 'admins,users',
      email_verified: 'true',
    });
    expect(claimDate(0)).toBe('Thu Jan 01 00:00:00 UTC 1970');
  });
});
