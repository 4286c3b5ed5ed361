import { useState } from 'preact/hooks';
import { localSignIn } from '../auth';
import type { DashboardConfig } from '../config';

export function SignIn({
  config,
  onSignIn,
  expired,
}: {
  config: DashboardConfig;
  onSignIn: (token: string) => void;
  expired: boolean;
}) {
  const [username, setUsername] = useState('demo');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submitUser = async (event: Event) => {
    event.preventDefault();
    if (!config.localTokenUrl) return;
    setBusy(true);
    setError(undefined);
    try {
      onSignIn(await localSignIn(config.localTokenUrl, username.trim()));
    } catch (failure) {
      setError(`Sign-in failed: ${failure instanceof Error ? failure.message : String(failure)}`);
    } finally {
      setBusy(false);
    }
  };
  const submitToken = (event: Event) => {
    event.preventDefault();
    const value = token.trim().replace(/^Bearer\s+/i, '');
    if (value.split('.').length !== 3) {
      setError('The token must be a JWT: three parts separated by dots.');
      return;
    }
    onSignIn(value);
  };

  return (
    <section class="sign-in" aria-labelledby="sign-in-heading">
      <h1 id="sign-in-heading" tabIndex={-1}>
        Sign in
      </h1>
      {expired ? (
        <p class="notice" role="status">
          The API refused the token (expired or not valid): sign in again.
        </p>
      ) : null}
      {config.localTokenUrl ? (
        <form class="card" onSubmit={submitUser}>
          <h2>Local user</h2>
          <p>The local cloud's user pool signs a token for any user name; the simulated devices belong to "demo".</p>
          <label for="username">User name</label>
          <input
            id="username"
            name="username"
            autoComplete="username"
            required
            value={username}
            onInput={(event) => setUsername(event.currentTarget.value)}
          />
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      ) : null}
      <form class="card" onSubmit={submitToken}>
        <h2>ID token</h2>
        <p>
          {config.cognito
            ? `An ID token of the Cognito user pool ${config.cognito.userPoolId} (app client ${config.cognito.clientId}).`
            : 'An ID token of the API’s Cognito user pool.'}
        </p>
        <label for="token">ID token</label>
        <textarea
          id="token"
          name="token"
          rows={3}
          required
          spellcheck={false}
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <button type="submit">Use this token</button>
      </form>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
