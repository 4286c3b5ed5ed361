import { createHash, randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type KeyLike,
  SignJWT,
} from 'jose';
import { regionOfUserPool, type UserPoolRegistry } from './user-pool-registry';

/** Where the signing key is kept under the data folder. */
export const SIGNING_KEY_FILE = join('cognito', 'signing-key.json');

export interface TokenIssuerOptions {
  /** The local cloud's data folder: the RSA key pair is kept in `<dataDir>/cognito/signing-key.json`. */
  dataDir: string;
  registry: UserPoolRegistry;
  /**
   * The issuer of a pool's tokens is `<issuerBaseUrl>/<poolId>`. By default Cognito's own,
   * `https://cognito-idp.<region>.amazonaws.com`, so the `iss` (and the pool's ProviderURL output) look as in AWS.
   */
  issuerBaseUrl?: (region: string) => string;
  /** Milliseconds; `Date.now` unless given (tests). */
  now?: () => number;
}

export interface MintTokenOptions {
  /** The app client the token is for: the `aud` of an ID token, the `client_id` of an access token. */
  audience: string;
  /** `cognito:username` (ID token) or `username` (access token). */
  username: string;
  /** The user's id; by default a UUID derived from the pool and the username, the same at every start. */
  sub?: string;
  email?: string;
  /** Seconds; one hour unless given (Cognito's default). */
  expiresIn?: number;
  /** `id` (the default: what a COGNITO_USER_POOLS authorizer without scopes accepts) or `access`. */
  tokenUse?: 'id' | 'access';
  /** Scopes of an access token, beyond `aws.cognito.signin.user.admin`. */
  scopes?: string[];
  groups?: string[];
  /** Seconds since the epoch; now unless given (a past time makes an expired token for tests). */
  issuedAt?: number;
}

export interface MintedToken {
  token: string;
  sub: string;
  userPoolId: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

const COGNITO_BASE_URL = (region: string) => `https://cognito-idp.${region}.amazonaws.com`;

/** A UUID (version 4 layout) derived from text: the same user gets the same `sub` at every start. */
function derivedUuid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface StoredKey {
  privateJwk: JWK;
}

/**
 * The local stand-in for Cognito's token endpoint: signs Cognito-shaped JWTs (RS256) for the user pools and app
 * clients of the registry with one RSA key pair, kept under the data folder so that tokens stay valid across
 * restarts, and publishes the public key as a JWKS document.
 */
export class LocalTokenIssuer {
  private constructor(
    private readonly options: TokenIssuerOptions,
    private readonly privateKey: KeyLike,
    private readonly publicJwk: JWK,
  ) {}

  /** Loads the key pair from the data folder, or creates and keeps one. */
  static async open(options: TokenIssuerOptions): Promise<LocalTokenIssuer> {
    const file = join(options.dataDir, SIGNING_KEY_FILE);
    let privateJwk: JWK | undefined;
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`The local token signing key ${file} cannot be read: ${(error as Error).message}`);
      }
    }
    if (text !== undefined) {
      try {
        privateJwk = (JSON.parse(text) as StoredKey).privateJwk;
      } catch {
        // JSON.parse quotes the text around the fault in its message: that would be part of the private key.
        privateJwk = undefined;
      }
      if (typeof privateJwk?.d !== 'string') {
        throw new Error(
          `The local token signing key ${file} is damaged (not a private JWK): delete it to make a new one, which ends every token signed with it`,
        );
      }
    }
    if (!privateJwk) {
      const pair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
      const jwk = await exportJWK(pair.privateKey);
      privateJwk = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' };
      await mkdir(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify({ privateJwk } satisfies StoredKey, null, 2)}\n`, { mode: 0o600 });
      await chmod(temporary, 0o600);
      await rename(temporary, file);
    }
    const privateKey = (await importJWK(privateJwk, 'RS256')) as KeyLike;
    const { kty, n, e, kid } = privateJwk;
    return new LocalTokenIssuer(options, privateKey, { kty, n, e, kid, alg: 'RS256', use: 'sig' });
  }

  /** The key id in the header of every token. */
  get keyId(): string {
    return this.publicJwk.kid as string;
  }

  /** The issuer (`iss`) of a user pool's tokens. */
  issuerOf(userPoolId: string): string {
    const base = (this.options.issuerBaseUrl ?? COGNITO_BASE_URL)(regionOfUserPool(userPoolId));
    return `${base.replace(/\/+$/, '')}/${userPoolId}`;
  }

  /** The public keys, as `<issuer>/.well-known/jwks.json` serves them. */
  jwks(): JSONWebKeySet {
    return { keys: [{ ...this.publicJwk }] };
  }

  /** The `sub` a username has in a pool when none is given. */
  subOf(userPoolId: string, username: string): string {
    return derivedUuid(`${userPoolId}/${username}`);
  }

  /** Signs a token for a user of the pool that `audience` (an app client id) belongs to. */
  async mintToken(options: MintTokenOptions): Promise<MintedToken> {
    const client = this.options.registry.client(options.audience);
    if (!client) throw new Error(`No app client ${options.audience}: deploy the stack that declares it first`);
    const userPoolId = client.userPoolId;
    const now = options.issuedAt ?? Math.floor((this.options.now ?? Date.now)() / 1000);
    const expiresAt = now + (options.expiresIn ?? 3600);
    const sub = options.sub ?? this.subOf(userPoolId, options.username);
    const tokenUse = options.tokenUse ?? 'id';
    const common = {
      sub,
      token_use: tokenUse,
      auth_time: now,
      origin_jti: randomUUID(),
      event_id: randomUUID(),
      ...(options.groups?.length ? { 'cognito:groups': options.groups } : {}),
    };
    const claims =
      tokenUse === 'id'
        ? {
            ...common,
            'cognito:username': options.username,
            ...(options.email ? { email: options.email, email_verified: true } : {}),
          }
        : {
            ...common,
            client_id: client.clientId,
            username: options.username,
            scope: ['aws.cognito.signin.user.admin', ...(options.scopes ?? [])].join(' '),
          };
    let jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.keyId })
      .setIssuer(this.issuerOf(userPoolId))
      .setIssuedAt(now)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID());
    if (tokenUse === 'id') jwt = jwt.setAudience(client.clientId);
    return { token: await jwt.sign(this.privateKey), sub, userPoolId, expiresAt };
  }
}
