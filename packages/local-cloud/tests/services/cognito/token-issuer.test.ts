import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { LocalTokenIssuer, SIGNING_KEY_FILE, UserPoolRegistry } from '../../../src/services/cognito';

const POOL = 'us-east-1_AbCdEfGhI';
const CLIENT = '5q2k3l4m5n6o7p8q9r0s1t2u3v';

describe('LocalTokenIssuer', () => {
  let dataDir: string;
  let registry: UserPoolRegistry;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cognito-'));
    registry = new UserPoolRegistry();
    registry.putUserPool({ id: POOL, name: 'users' });
    registry.putClient({ clientId: CLIENT, userPoolId: POOL, name: 'app' });
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('mints a Cognito-shaped ID token that its JWKS verifies', async () => {
    // Prepare
    const issuer = await LocalTokenIssuer.open({ dataDir, registry });

    // Act
    const minted = await issuer.mintToken({ audience: CLIENT, username: 'alice', email: 'alice@example.com' });

    // Assess
    const { payload, protectedHeader } = await jwtVerify(minted.token, createLocalJWKSet(issuer.jwks()), {
      issuer: `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`,
      audience: CLIENT,
    });
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: issuer.keyId });
    expect(payload).toMatchObject({
      sub: minted.sub,
      aud: CLIENT,
      token_use: 'id',
      'cognito:username': 'alice',
      email: 'alice@example.com',
      email_verified: true,
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
    expect(minted.userPoolId).toBe(POOL);
  });

  it('gives a username the same sub every time, and another username another one', async () => {
    // Prepare
    const issuer = await LocalTokenIssuer.open({ dataDir, registry });

    // Act
    const first = await issuer.mintToken({ audience: CLIENT, username: 'alice' });
    const again = await issuer.mintToken({ audience: CLIENT, username: 'alice' });
    const bob = await issuer.mintToken({ audience: CLIENT, username: 'bob' });

    // Assess
    expect(first.sub).toBe(again.sub);
    expect(first.sub).not.toBe(bob.sub);
    expect(first.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('mints access tokens with client_id and scope, and no audience', async () => {
    // Prepare
    const issuer = await LocalTokenIssuer.open({ dataDir, registry });

    // Act
    const { token } = await issuer.mintToken({
      audience: CLIENT,
      username: 'alice',
      tokenUse: 'access',
      scopes: ['api/read'],
    });

    // Assess
    expect(decodeJwt(token)).toMatchObject({
      token_use: 'access',
      client_id: CLIENT,
      username: 'alice',
      scope: 'aws.cognito.signin.user.admin api/read',
    });
    expect(decodeJwt(token).aud).toBeUndefined();
  });

  it('keeps its key pair in the data folder, private to its owner, so tokens outlive a restart', async () => {
    // Prepare
    const before = await LocalTokenIssuer.open({ dataDir, registry });
    const { token } = await before.mintToken({ audience: CLIENT, username: 'alice' });

    // Act
    const after = await LocalTokenIssuer.open({ dataDir, registry });

    // Assess
    expect(after.keyId).toBe(before.keyId);
    await expect(jwtVerify(token, createLocalJWKSet(after.jwks()))).resolves.toBeDefined();
    expect((await stat(join(dataDir, SIGNING_KEY_FILE))).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(join(dataDir, SIGNING_KEY_FILE), 'utf8'));
    expect(stored.privateJwk.d).toBeDefined();
    expect(after.jwks().keys[0]).not.toHaveProperty('d');
    expect(decodeProtectedHeader(token).kid).toBe(after.jwks().keys[0]?.kid);
  });

  it('refuses a damaged key file with a message that quotes none of the key', async () => {
    // Prepare: a key file whose private exponent lost its opening quote (JSON.parse quotes the text around it).
    const folder = await mkdtemp(join(tmpdir(), 'cognito-damaged-'));
    await LocalTokenIssuer.open({ dataDir: folder, registry });
    const text = await readFile(join(folder, SIGNING_KEY_FILE), 'utf8');
    const { privateJwk } = JSON.parse(text);
    await writeFile(join(folder, SIGNING_KEY_FILE), text.replace(`"${privateJwk.d}`, privateJwk.d));

    // Act
    const opened = LocalTokenIssuer.open({ dataDir: folder, registry });

    // Assess
    await expect(opened).rejects.toThrow(/signing-key\.json is damaged/);
    const message = await opened.catch((error: Error) => error.message);
    for (const secret of [privateJwk.d, privateJwk.p, privateJwk.q, privateJwk.dp, privateJwk.dq]) {
      expect(message).not.toContain(secret.slice(0, 8));
    }
    await rm(folder, { recursive: true, force: true });
  });

  it('names a local issuer when given a base URL', async () => {
    // Prepare
    const issuer = await LocalTokenIssuer.open({
      dataDir,
      registry,
      issuerBaseUrl: () => 'http://127.0.0.1:4566/_local/cognito',
    });

    // Act
    const { token } = await issuer.mintToken({ audience: CLIENT, username: 'alice' });

    // Assess
    expect(decodeJwt(token).iss).toBe(`http://127.0.0.1:4566/_local/cognito/${POOL}`);
  });

  it('refuses to mint for an app client no template declared', async () => {
    // Prepare
    const issuer = await LocalTokenIssuer.open({ dataDir, registry });

    // Act
    const minting = issuer.mintToken({ audience: 'nobody', username: 'alice' });

    // Assess
    await expect(minting).rejects.toThrow(/No app client nobody/);
  });
});
