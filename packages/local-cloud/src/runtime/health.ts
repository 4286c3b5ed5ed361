/** Where a service of the compose file is in the start-up. */
export type StackStatus = 'pending' | 'packaging' | 'deploying' | 'deployed' | 'failed';

export interface StackHealth {
  service: string;
  stackName?: string;
  status: StackStatus;
  /** Why it failed. */
  error?: string;
}

export type CloudStatus = 'starting' | 'healthy' | 'failed' | 'stopping';

/** What `GET /_local/health` answers. */
export interface HealthReport {
  status: CloudStatus;
  stage: string;
  stacks: StackHealth[];
  /** Services not deployed yet, in deployment order. */
  pending: string[];
}

/** Tracks the start-up, stack by stack, for the health route. */
export class HealthTracker {
  private status: CloudStatus = 'starting';
  private readonly stacks: StackHealth[];

  constructor(
    private readonly stage: string,
    services: readonly string[],
  ) {
    this.stacks = services.map((service) => ({ service, status: 'pending' }));
  }

  stack(service: string, status: StackStatus, details: { stackName?: string; error?: string } = {}): void {
    let entry = this.stacks.find((s) => s.service === service);
    if (!entry) {
      entry = { service, status };
      this.stacks.push(entry);
    }
    entry.status = status;
    if (details.stackName) entry.stackName = details.stackName;
    if (details.error) entry.error = details.error;
    if (status === 'failed') this.status = 'failed';
  }

  set(status: CloudStatus): void {
    this.status = status;
  }

  get current(): CloudStatus {
    return this.status;
  }

  report(): HealthReport {
    return {
      status: this.status,
      stage: this.stage,
      stacks: this.stacks.map((s) => ({ ...s })),
      pending: this.stacks.filter((s) => s.status !== 'deployed').map((s) => s.service),
    };
  }

  /** 200 once healthy, 503 before, after a failure and while stopping. */
  httpStatus(): number {
    return this.status === 'healthy' ? 200 : 503;
  }
}
