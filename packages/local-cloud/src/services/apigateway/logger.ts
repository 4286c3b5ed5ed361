/** Where the REST API emulation says what AWS would have written to the execution logs: why a request failed. */
export interface ApiGatewayLogger {
  warn(message: string, details?: Record<string, unknown>): void;
}

/** JSON lines on stderr, the default. */
export const stderrApiGatewayLogger: ApiGatewayLogger = {
  warn: (message, details) =>
    process.stderr.write(`${JSON.stringify({ level: 'WARN', service: 'apigateway', message, ...details })}\n`),
};
