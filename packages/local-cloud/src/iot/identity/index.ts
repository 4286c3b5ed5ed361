/**
 * Device identity in the local AWS IoT Core: the certificate authority, the registered certificates, IoT policies and
 * their evaluation, and the per-connection authorization of the broker's TLS listener.
 *
 * @packageDocumentation
 */
export {
  CertificateAuthority,
  certificateIdOf,
  InvalidCsrError,
  type IssuedKeysAndCertificate,
} from './certificate-authority';
export { type Certificate, CertificateRegistry, type CertificateStatus } from './certificate-registry';
export { DeviceAuthorizer, DeviceSession, type MqttAction } from './device-authorizer';
export {
  evaluatePolicies,
  iotResourceArns,
  MalformedPolicyError,
  type ParsedPolicy,
  type PolicyContext,
  type PolicyDecision,
  parsePolicyDocument,
} from './policy-evaluator';
export { type IotPolicy, PolicyRegistry } from './policy-registry';
