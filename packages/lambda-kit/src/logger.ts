import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The structured JSON logger of a service (AWS Lambda Powertools), one per service. The log level comes from
 * `POWERTOOLS_LOG_LEVEL` (default INFO).
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

export type { Logger };
