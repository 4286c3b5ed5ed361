/**
 * What the dashboard is told at run time, from `config.json` beside `index.html`: the local cloud serves one that
 * names its own endpoints; a deployment writes one for its stage. Nothing of it is built in.
 */
export interface DashboardConfig {
  /** The REST API's stage base URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/dev`. */
  apiUrl: string;
  /**
   * The local cloud's token issuer (`POST {"username"}` answers `{"token"}`): sign-in by user name. Without it the
   * sign-in asks for an ID token (a Cognito user pool's).
   */
  localTokenUrl?: string;
  /** A Cognito user pool's details, shown on the sign-in page so a user knows where a token comes from. */
  cognito?: { region: string; userPoolId: string; clientId: string };
  /** Seconds between two polls of the API (default 5). */
  pollSeconds?: number;
  /** The name of the stage, shown in the header. */
  stage?: string;
}

/** Reads `config.json`; says what is wrong with it instead of starting half-configured. */
export async function loadConfig(url = 'config.json'): Promise<DashboardConfig> {
  const answer = await fetch(url, { cache: 'no-store' });
  if (!answer.ok)
    throw new Error(`${url} could not be read (${answer.status}): the dashboard needs it to find the API`);
  const config = (await answer.json()) as Partial<DashboardConfig>;
  if (typeof config.apiUrl !== 'string' || !/^https?:\/\//.test(config.apiUrl)) {
    throw new Error(`${url}: apiUrl must be the REST API's base URL (http or https)`);
  }
  return { ...config, apiUrl: config.apiUrl.replace(/\/+$/, '') } as DashboardConfig;
}
