import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeletePolicyCommand,
  DescribeCertificateCommand,
  DescribeEndpointCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  ListPrincipalThingsCommand,
  ListTargetsForPolicyCommand,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import * as x509 from '@peculiar/x509';
import { CertificateRegistry } from '../../../src/iot/identity/certificate-registry';
import { PolicyRegistry } from '../../../src/iot/identity/policy-registry';
import { type Identity, OWN_TOPICS_POLICY, startIdentity } from './identity-fixture';

/** What a request ended with: its answer, or the error it was refused with. */
const settle = <T>(request: Promise<T>): Promise<T | Error> => request.catch((error: Error) => error);

// Each device certificate comes with an RSA 2048 key pair, as AWS makes them: slow on a busy machine.
jest.setTimeout(30_000);

describe('certificates and policies through the IoT control plane (AWS SDK v3)', () => {
  let env: Identity;

  beforeEach(async () => {
    env = await startIdentity();
  });

  afterEach(() => env.close());

  it('creates a key pair and an ACTIVE certificate signed by the local CA, and describes it; the key is not kept', async () => {
    // Act
    const created = await env.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const described = await env.iot.send(new DescribeCertificateCommand({ certificateId: created.certificateId }));
    const listed = await env.iot.send(new ListCertificatesCommand({}));
    await env.certificates.flush();

    // Assess
    const certificate = new X509Certificate(created.certificatePem as string);
    expect(certificate.verify(new X509Certificate(env.ca.certificatePem).publicKey)).toBe(true);
    expect(created.certificateArn).toBe(`arn:aws:iot:us-east-1:000000000000:cert/${created.certificateId}`);
    expect(created.keyPair?.PrivateKey).toMatch(/BEGIN PRIVATE KEY/);
    expect(described.certificateDescription).toMatchObject({
      certificateId: created.certificateId,
      status: 'ACTIVE',
      certificatePem: created.certificatePem,
      ownedBy: '000000000000',
    });
    expect(listed.certificates?.map((c) => c.certificateId)).toEqual([created.certificateId]);
    const reopened = new CertificateRegistry({ dataDir: env.dataDir });
    expect(reopened.find(created.certificateId as string)?.status).toBe('ACTIVE');
    const kept = JSON.stringify(reopened.list());
    expect(kept).not.toContain('PRIVATE KEY');
  });

  it('creates an INACTIVE certificate unless asked, and one from a CSR', async () => {
    // Prepare
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=meter-1',
      keys,
      signingAlgorithm: algorithm,
    });

    // Act
    const inactive = await env.iot.send(new CreateKeysAndCertificateCommand({}));
    const fromCsr = await env.iot.send(
      new CreateCertificateFromCsrCommand({ certificateSigningRequest: csr.toString('pem'), setAsActive: true }),
    );
    const badCsr = await settle(
      env.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: 'not a CSR' })),
    );

    // Assess
    const first = await env.iot.send(new DescribeCertificateCommand({ certificateId: inactive.certificateId }));
    const second = await env.iot.send(new DescribeCertificateCommand({ certificateId: fromCsr.certificateId }));
    expect(first.certificateDescription?.status).toBe('INACTIVE');
    expect(second.certificateDescription?.status).toBe('ACTIVE');
    expect(new X509Certificate(fromCsr.certificatePem as string).subject).toBe('CN=meter-1');
    expect(badCsr).toMatchObject({ name: 'InvalidRequestException' });
  });

  it('changes a status, keeps a revoked certificate revoked, and deletes only what is inactive and detached', async () => {
    // Prepare
    const { certificateId, certificateArn } = await env.iot.send(
      new CreateKeysAndCertificateCommand({ setAsActive: true }),
    );
    await env.iot.send(new CreateThingCommand({ thingName: 'meter' }));
    await env.iot.send(new AttachThingPrincipalCommand({ thingName: 'meter', principal: certificateArn }));
    await env.iot.send(new AttachPolicyCommand({ policyName: 'own-topics', target: certificateArn }));

    // Act
    const deleteActive = env.iot.send(new DeleteCertificateCommand({ certificateId }));
    await expect(deleteActive).rejects.toMatchObject({ name: 'CertificateStateException' });
    await env.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
    const deleteAttached = env.iot.send(new DeleteCertificateCommand({ certificateId }));
    await expect(deleteAttached).rejects.toMatchObject({ name: 'DeleteConflictException' });
    await env.iot.send(new DetachThingPrincipalCommand({ thingName: 'meter', principal: certificateArn }));
    const deleteWithPolicy = env.iot.send(new DeleteCertificateCommand({ certificateId }));
    await expect(deleteWithPolicy).rejects.toMatchObject({ name: 'DeleteConflictException' });
    await env.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'REVOKED' }));
    const reactivate = env.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' }));
    await expect(reactivate).rejects.toMatchObject({ name: 'CertificateStateException' });
    const badStatus = env.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'PENDING_TRANSFER' }));
    await expect(badStatus).rejects.toMatchObject({ name: 'InvalidRequestException' });
    await env.iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: true }));

    // Assess
    await expect(env.iot.send(new DescribeCertificateCommand({ certificateId }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    const targets = await env.iot.send(new ListTargetsForPolicyCommand({ policyName: 'own-topics' }));
    expect(targets.targets).toEqual([]);
  });

  it('creates, reads, attaches, lists, detaches and deletes policies, refusing what AWS refuses', async () => {
    // Prepare
    const { certificateArn } = await env.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const readOnly = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iot:Subscribe', Resource: '*' }],
    });

    // Act
    const created = await env.iot.send(new CreatePolicyCommand({ policyName: 'read-only', policyDocument: readOnly }));
    const read = await env.iot.send(new GetPolicyCommand({ policyName: 'read-only' }));
    await env.iot.send(new AttachPolicyCommand({ policyName: 'read-only', target: certificateArn }));
    await env.iot.send(new AttachPolicyCommand({ policyName: 'own-topics', target: certificateArn }));
    const attached = await env.iot.send(new ListAttachedPoliciesCommand({ target: certificateArn }));
    const inUse = env.iot.send(new DeletePolicyCommand({ policyName: 'read-only' }));
    await expect(inUse).rejects.toMatchObject({ name: 'DeleteConflictException' });
    await env.iot.send(new DetachPolicyCommand({ policyName: 'read-only', target: certificateArn }));
    const afterDetach = await env.iot.send(new ListAttachedPoliciesCommand({ target: certificateArn }));
    await env.iot.send(new DeletePolicyCommand({ policyName: 'read-only' }));
    await env.policies.flush();

    // Assess
    expect(created).toMatchObject({
      policyName: 'read-only',
      policyArn: 'arn:aws:iot:us-east-1:000000000000:policy/read-only',
      policyVersionId: '1',
    });
    expect(read).toMatchObject({ policyName: 'read-only', policyDocument: readOnly, defaultVersionId: '1' });
    expect(attached.policies?.map((p) => p.policyName)).toEqual(['read-only', 'own-topics']);
    expect(afterDetach.policies?.map((p) => p.policyName)).toEqual(['own-topics']);
    await expect(env.iot.send(new GetPolicyCommand({ policyName: 'read-only' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    const reopened = new PolicyRegistry({ dataDir: env.dataDir });
    expect(reopened.attachedPolicies(certificateArn as string).map((p) => p.policyName)).toEqual(['own-topics']);
  });

  it.each([
    ['not JSON', '{"Statement": ['],
    ['no statement', '{"Version":"2012-10-17"}'],
    ['a bad effect', '{"Version":"2012-10-17","Statement":[{"Effect":"Perhaps","Action":"iot:*","Resource":"*"}]}'],
    ['a foreign action', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'],
  ])('refuses a policy document with %s (MalformedPolicyException)', async (_what, policyDocument) => {
    // Act
    const creating = env.iot.send(new CreatePolicyCommand({ policyName: 'broken', policyDocument }));

    // Assess
    await expect(creating).rejects.toMatchObject({ name: 'MalformedPolicyException' });
    await expect(env.iot.send(new GetPolicyCommand({ policyName: 'broken' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('refuses a second policy of the same name, and attaching an unknown policy or certificate', async () => {
    // Prepare
    const { certificateArn } = await env.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const unknownCertificate = `arn:aws:iot:us-east-1:000000000000:cert/${'0'.repeat(64)}`;
    await env.iot.send(new CreateThingCommand({ thingName: 'meter' }));

    // Act
    const again = await settle(
      env.iot.send(new CreatePolicyCommand({ policyName: 'own-topics', policyDocument: OWN_TOPICS_POLICY })),
    );
    const unknownPolicy = await settle(
      env.iot.send(new AttachPolicyCommand({ policyName: 'nope', target: certificateArn })),
    );
    const toUnknown = await settle(
      env.iot.send(new AttachPolicyCommand({ policyName: 'own-topics', target: unknownCertificate })),
    );
    const thingToUnknown = await settle(
      env.iot.send(new AttachThingPrincipalCommand({ thingName: 'meter', principal: unknownCertificate })),
    );

    // Assess
    expect(again).toMatchObject({ name: 'ResourceAlreadyExistsException' });
    expect(unknownPolicy).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(toUnknown).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(thingToUnknown).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it("gives a template's policy its new document when the stack is deployed again (AWS::IoT::Policy)", async () => {
    // Prepare
    const before = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }],
    });
    const after = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'iot:*', Resource: '*' }],
    });
    env.policies.putPolicy('from-template', before);

    // Act
    const unchanged = env.policies.putPolicy('from-template', before).defaultVersionId;
    env.policies.putPolicy('from-template', after);
    const read = await env.iot.send(new GetPolicyCommand({ policyName: 'from-template' }));
    const broken = settle(Promise.resolve().then(() => env.policies.putPolicy('from-template', '{"Statement": 1}')));

    // Assess
    expect(unchanged).toBe('1');
    expect(read).toMatchObject({ policyDocument: after, defaultVersionId: '2' });
    expect(await broken).toMatchObject({ code: 'MalformedPolicyException' });
  });

  it('lists the things of a certificate and the certificates of a thing', async () => {
    // Prepare
    const device = await env.device('meter-7');

    // Act
    const things = await env.iot.send(new ListPrincipalThingsCommand({ principal: device.certificateArn }));
    const principals = await env.iot.send(new ListThingPrincipalsCommand({ thingName: 'meter-7' }));

    // Assess
    expect(things.things).toEqual(['meter-7']);
    expect(principals.principals).toEqual([device.certificateArn]);
  });

  it('answers DescribeEndpoint iot:Data-ATS with the host and port of MQTT over TLS', async () => {
    // Act
    const endpoint = await env.iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));

    // Assess
    expect(endpoint.endpointAddress).toBe(`127.0.0.1:${env.broker.securePort}`);
  });
});
