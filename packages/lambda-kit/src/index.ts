/**
 * @iot/lambda-kit: what every function of the services shares — configuration read once and checked, one
 * structured logger per service, HTTP answers as RFC 9457 problem details, CORS, the caller of a request behind a
 * Cognito authorizer, who owns a device (`@iot/lambda-kit/dynamodb-device-owners` reads it from the devices table),
 * and `Idempotency-Key` handling; `httpRoute` and `deviceRoute` put the HTTP pieces together as every route uses them
 * (`deviceRouteDependencies` in `@iot/lambda-kit/dynamodb-device-owners` builds a device route's dependencies).
 *
 * @packageDocumentation
 */
export * from './caller';
export * from './config';
export * from './cors';
export * from './device-ownership';
export * from './http';
export * from './idempotency';
export * from './logger';
export * from './route';
