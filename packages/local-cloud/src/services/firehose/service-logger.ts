/** Where Firehose reports what goes wrong inside it (a Powertools Logger, pino or `console` fit). */
export interface ServiceLogger {
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}
