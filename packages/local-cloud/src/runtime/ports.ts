import { createServer } from 'node:net';

/** A port the local cloud is about to listen on, and how its user changes it. */
export interface PortClaim {
  /** What listens there, e.g. `edge endpoint`. */
  name: string;
  port: number;
  host: string;
  /** The command line flag that changes it, e.g. `--edge-port`. */
  flag: string;
  /** The environment variable that changes it, e.g. `IOT_LOCAL_EDGE_PORT`. */
  env?: string;
}

/** A port the local cloud needs is taken; the message says which one and how to choose another. */
export class PortInUseError extends Error {
  constructor(
    readonly claim: PortClaim,
    reason: string,
  ) {
    const change = claim.env ? `${claim.flag} <port> (or ${claim.env})` : `${claim.flag} <port>`;
    super(
      `The ${claim.name} cannot listen on ${claim.host}:${claim.port} (${reason}). Stop what uses it, or choose another port with ${change}.`,
    );
    this.name = 'PortInUseError';
  }
}

function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'EADDRINUSE' ? 'it is in use' : (error.code ?? error.message));
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/**
 * Checks, before anything starts, that every port claimed is free (port 0, any free port, always is) and that no two
 * claims name the same port. Rejects with a PortInUseError for the first one that is not.
 */
export async function checkPortsFree(claims: readonly PortClaim[]): Promise<void> {
  const seen = new Map<number, PortClaim>();
  for (const claim of claims) {
    if (claim.port === 0) continue;
    const other = seen.get(claim.port);
    if (other) throw new PortInUseError(claim, `the ${other.name} is given the same port`);
    seen.set(claim.port, claim);
  }
  for (const claim of seen.values()) {
    const problem = await tryListen(claim.host, claim.port);
    if (problem) throw new PortInUseError(claim, problem);
  }
}
