const STORAGE_KEY = 'iot-dashboard-token';

/** The signed-in user's ID token, kept for the browser tab only. */
export function storedToken(): string | undefined {
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

export function storeToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(STORAGE_KEY, token);
  else sessionStorage.removeItem(STORAGE_KEY);
}

/** The claims of a JWT, unverified: only to show who is signed in and until when (the API checks the token). */
export function tokenClaims(token: string): { username?: string; email?: string; exp?: number } | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as Record<string, unknown>;
    return {
      username: (claims['cognito:username'] ?? claims.username ?? claims.sub) as string | undefined,
      email: claims.email as string | undefined,
      exp: typeof claims.exp === 'number' ? claims.exp : undefined,
    };
  } catch {
    return undefined;
  }
}

/** A token of the local cloud's issuer for a user name. */
export async function localSignIn(tokenUrl: string, username: string): Promise<string> {
  const answer = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  const body = (await answer.json().catch(() => ({}))) as { token?: string; message?: string };
  if (!answer.ok || !body.token) throw new Error(body.message ?? `The token issuer answered ${answer.status}`);
  return body.token;
}
