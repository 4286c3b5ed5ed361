/**
 * The REST API emulation (API Gateway v1): a registry fed with the resolved properties of the AWS::ApiGateway::*
 * resources of the packaged templates, and an HTTP server that serves its deployed stages through Lambda proxy and
 * MOCK integrations.
 */
export * from './authorization';
export * from './cloudformation-provider';
export { type GatewayError, type GatewayResponseType, gatewayErrors } from './gateway-responses';
export { apiGatewayId } from './ids';
export * from './logger';
export type { ApiGatewayProxyEvent, ApiGatewayProxyIdentity, ApiGatewayProxyRequestContext } from './proxy-event';
export type { ApiGatewayProxyResult } from './proxy-response';
export * from './rest-api-registry';
export * from './rest-api-server';
