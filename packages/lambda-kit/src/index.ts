/**
 * @iot/lambda-kit: what every function of the services shares — configuration read once and checked, one
 * structured logger per service, and HTTP answers as RFC 9457 problem details.
 *
 * @packageDocumentation
 */
export * from './config';
export * from './http';
export * from './logger';
