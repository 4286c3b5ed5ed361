import { AwsServiceError, type EdgeRequest, LOCAL_ACCOUNT_ID } from '../../edge/aws-service';
import { type CertificateAuthority, InvalidCsrError } from '../identity/certificate-authority';
import type { Certificate, CertificateRegistry } from '../identity/certificate-registry';
import type { PolicyRegistry } from '../identity/policy-registry';
import type { Json, Route } from './iot-control-plane';
import { page } from './paging';
import type { ThingRegistry } from './thing-registry';

interface Identity {
  ca: CertificateAuthority;
  certificates: CertificateRegistry;
  policies: PolicyRegistry;
  things: ThingRegistry;
}

/** The marker/pageSize paging of the certificate and policy list operations. */
function markerPage<T>(items: T[], request: EdgeRequest): { items: T[]; nextMarker?: string } {
  const size = Number(request.query.get('pageSize') ?? 250);
  if (!Number.isInteger(size) || size < 1 || size > 250) {
    throw new AwsServiceError('InvalidRequestException', 'pageSize must be between 1 and 250', 400);
  }
  const marker = request.query.get('marker');
  const start = marker ? Number(Buffer.from(marker, 'base64').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0)
    throw new AwsServiceError('InvalidRequestException', 'Invalid marker', 400);
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
  return { items: items.slice(start, start + size), ...(next ? { nextMarker: next } : {}) };
}

function description(certificate: Certificate): Json {
  return {
    certificateArn: certificate.certificateArn,
    certificateId: certificate.certificateId,
    status: certificate.status,
    certificatePem: certificate.certificatePem,
    ownedBy: LOCAL_ACCOUNT_ID,
    creationDate: certificate.creationDate,
    lastModifiedDate: certificate.lastModifiedDate,
    customerVersion: certificate.customerVersion,
    generationId: certificate.generationId,
    validity: certificate.validity,
    certificateMode: 'DEFAULT',
  };
}

const setAsActive = (request: EdgeRequest) => (request.query.get('setAsActive') === 'true' ? 'ACTIVE' : 'INACTIVE');

function target(body: Json): string {
  const value = body.target;
  if (typeof value !== 'string' || value === '') {
    throw new AwsServiceError('InvalidRequestException', 'target is required: a certificate ARN or an identity', 400);
  }
  return value;
}

/**
 * The certificate and policy operations of the AWS IoT control plane: certificates issued by the local CA
 * (CreateKeysAndCertificate, CreateCertificateFromCsr) with their status, policies, and what is attached to what.
 */
export function identityRoutes(route: Route, identity: Identity): void {
  const { ca, certificates, policies, things } = identity;

  route('POST', '/keys-and-certificate', 'CreateKeysAndCertificate', async (r) => {
    const issued = await ca.createKeysAndCertificate();
    const certificate = certificates.register(issued.certificatePem, setAsActive(r));
    return {
      certificateArn: certificate.certificateArn,
      certificateId: certificate.certificateId,
      certificatePem: certificate.certificatePem,
      keyPair: { PublicKey: issued.publicKeyPem, PrivateKey: issued.privateKeyPem },
    };
  });
  route('POST', '/certificates', 'CreateCertificateFromCsr', async (r, _p, body) => {
    const csr = body.certificateSigningRequest;
    if (typeof csr !== 'string' || csr === '') {
      throw new AwsServiceError('InvalidRequestException', 'certificateSigningRequest is required', 400);
    }
    let certificatePem: string;
    try {
      certificatePem = await ca.certificateFromCsr(csr);
    } catch (error) {
      if (error instanceof InvalidCsrError) throw new AwsServiceError('InvalidRequestException', error.message, 400);
      throw error;
    }
    const certificate = certificates.register(certificatePem, setAsActive(r));
    return {
      certificateArn: certificate.certificateArn,
      certificateId: certificate.certificateId,
      certificatePem: certificate.certificatePem,
    };
  });
  route('GET', '/certificates/{certificateId}', 'DescribeCertificate', (_r, [id]) => ({
    certificateDescription: description(certificates.describe(id as string)),
  }));
  route('GET', '/certificates', 'ListCertificates', (r) => {
    const all = certificates.list();
    if (r.query.get('isAscendingOrder') !== 'true') all.reverse();
    const listed = markerPage(all, r);
    return {
      certificates: listed.items.map((c) => ({
        certificateArn: c.certificateArn,
        certificateId: c.certificateId,
        status: c.status,
        certificateMode: 'DEFAULT',
        creationDate: c.creationDate,
      })),
      ...(listed.nextMarker ? { nextMarker: listed.nextMarker } : {}),
    };
  });
  route('PUT', '/certificates/{certificateId}', 'UpdateCertificate', (r, [id]) => {
    certificates.updateStatus(id as string, r.query.get('newStatus') ?? '');
    return undefined;
  });
  route('DELETE', '/certificates/{certificateId}', 'DeleteCertificate', (r, [id]) => {
    const certificate = certificates.describe(id as string);
    const arn = certificate.certificateArn;
    const forceDelete = r.query.get('forceDelete') === 'true';
    certificates.delete(
      certificate.certificateId,
      { things: things.principalThings(arn), policies: policies.attachedPolicies(arn).map((p) => p.policyName) },
      forceDelete,
    );
    policies.detachAll(arn);
    return undefined;
  });
  route('GET', '/principals/things', 'ListPrincipalThings', (r) => {
    const principal = r.headers['x-amzn-principal'] ?? '';
    if (!principal)
      throw new AwsServiceError('InvalidRequestException', 'A principal is required (x-amzn-principal)', 400);
    const listed = page(things.principalThings(principal), r);
    return { things: listed.items, ...(listed.nextToken ? { nextToken: listed.nextToken } : {}) };
  });

  route('POST', '/policies/{policyName}', 'CreatePolicy', (_r, [name], body) => {
    const policy = policies.createPolicy(name as string, body.policyDocument);
    return {
      policyName: policy.policyName,
      policyArn: policy.policyArn,
      policyDocument: policy.policyDocument,
      policyVersionId: policy.defaultVersionId,
    };
  });
  route('GET', '/policies/{policyName}', 'GetPolicy', (_r, [name]) => {
    const policy = policies.getPolicy(name as string);
    return { ...policy };
  });
  route('DELETE', '/policies/{policyName}', 'DeletePolicy', (_r, [name]) => {
    policies.deletePolicy(name as string);
    return undefined;
  });
  route('PUT', '/target-policies/{policyName}', 'AttachPolicy', (_r, [name], body) => {
    const to = target(body);
    const certificateId = certificates.certificateIdOfArn(to);
    if (certificateId) certificates.describe(certificateId);
    policies.attachPolicy(name as string, to);
    return undefined;
  });
  route('POST', '/target-policies/{policyName}', 'DetachPolicy', (_r, [name], body) => {
    policies.detachPolicy(name as string, target(body));
    return undefined;
  });
  route('POST', '/attached-policies/{target}', 'ListAttachedPolicies', (r, [of]) => {
    const listed = markerPage(policies.attachedPolicies(of as string), r);
    return {
      policies: listed.items.map((p) => ({ policyName: p.policyName, policyArn: p.policyArn })),
      ...(listed.nextMarker ? { nextMarker: listed.nextMarker } : {}),
    };
  });
  route('POST', '/policy-targets/{policyName}', 'ListTargetsForPolicy', (r, [name]) => {
    policies.getPolicy(name as string);
    const listed = markerPage(policies.targetsForPolicy(name as string), r);
    return { targets: listed.items, ...(listed.nextMarker ? { nextMarker: listed.nextMarker } : {}) };
  });
}
