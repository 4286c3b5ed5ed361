import { cognitoUserPoolArn } from '../../cloudformation/arns';

/** A user pool as its template declared it. */
export interface UserPoolRecord {
  /** `<region>_<9 letters or digits>`, e.g. `us-east-1_AbCdEfGhI`. */
  id: string;
  arn: string;
  region: string;
  name?: string;
}

/** An app client of a user pool: the `aud` of its ID tokens, the `client_id` of its access tokens. */
export interface UserPoolClientRecord {
  clientId: string;
  userPoolId: string;
  name?: string;
}

/** The region of a user pool id (`us-east-1_AbCdEfGhI`). */
export function regionOfUserPool(userPoolId: string): string {
  const region = userPoolId.split('_')[0];
  if (!region || region === userPoolId) throw new Error(`Not a user pool id: ${userPoolId}`);
  return region;
}

/** The user pool id in a user pool ARN (`arn:aws:cognito-idp:<region>:<account>:userpool/<id>`). */
export function userPoolIdOfArn(arn: string): string | undefined {
  return /^arn:[^:]+:cognito-idp:[^:]*:[^:]*:userpool\/([\w-]+_[0-9A-Za-z]+)$/.exec(arn)?.[1];
}

/**
 * The user pools and app clients the deployed templates declared. The token issuer mints for them and the
 * authorizer strategy accepts the tokens of their clients only. Stacks are deployed again at every start, so the
 * registry needs no persistence; declaring a pool or client again replaces it.
 */
export class UserPoolRegistry {
  private readonly pools = new Map<string, UserPoolRecord>();
  private readonly clients = new Map<string, UserPoolClientRecord>();

  putUserPool(pool: { id: string; name?: string; accountId?: string }): UserPoolRecord {
    const region = regionOfUserPool(pool.id);
    const record: UserPoolRecord = {
      id: pool.id,
      region,
      arn: cognitoUserPoolArn(pool.id, { region, ...(pool.accountId ? { accountId: pool.accountId } : {}) }),
      ...(pool.name ? { name: pool.name } : {}),
    };
    this.pools.set(pool.id, record);
    return record;
  }

  putClient(client: UserPoolClientRecord): UserPoolClientRecord {
    if (!this.pools.has(client.userPoolId)) {
      throw new Error(`App client ${client.clientId} names the user pool ${client.userPoolId}, which does not exist`);
    }
    this.clients.set(client.clientId, { ...client });
    return client;
  }

  userPool(id: string): UserPoolRecord | undefined {
    return this.pools.get(id);
  }

  userPoolByArn(arn: string): UserPoolRecord | undefined {
    const id = userPoolIdOfArn(arn);
    const pool = id ? this.pools.get(id) : undefined;
    return pool && pool.arn.split(':')[4] === arn.split(':')[4] ? pool : undefined;
  }

  client(clientId: string): UserPoolClientRecord | undefined {
    return this.clients.get(clientId);
  }

  clientsOf(userPoolId: string): UserPoolClientRecord[] {
    return [...this.clients.values()].filter((client) => client.userPoolId === userPoolId);
  }

  userPools(): UserPoolRecord[] {
    return [...this.pools.values()];
  }
}
