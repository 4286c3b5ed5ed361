import 'reflect-metadata';
import { createHash, createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import {
  CertificateAuthority,
  certificateIdOf,
  InvalidCsrError,
} from '../../../src/iot/identity/certificate-authority';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

describe('the local certificate authority', () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'iot-ca-'));
  });

  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('is created on first open, kept with an owner-only key, and the same when opened again', async () => {
    // Act
    const first = await CertificateAuthority.open(join(folder, 'ca'));
    const again = await CertificateAuthority.open(join(folder, 'ca'));

    // Assess
    const root = new X509Certificate(first.certificatePem);
    expect(again.certificatePem).toBe(first.certificatePem);
    expect(root.ca).toBe(true);
    expect(root.checkIssued(root)).toBe(true);
    expect(first.certificatePath).toBe(join(folder, 'ca', 'root-ca.pem'));
    expect(statSync(join(folder, 'ca', 'root-ca.key')).mode & 0o777).toBe(0o600);
  });

  it('issues a device key pair and a client certificate it signed, which another CA did not', async () => {
    // Prepare
    const ca = await CertificateAuthority.open(join(folder, 'ca'));
    const other = await CertificateAuthority.open(join(folder, 'other'));

    // Act
    const issued = await ca.createKeysAndCertificate();

    // Assess
    const certificate = new X509Certificate(issued.certificatePem);
    expect(certificate.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
    expect(certificate.verify(new X509Certificate(other.certificatePem).publicKey)).toBe(false);
    expect(certificate.ca).toBe(false);
    expect(certificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(issued.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(certificate.checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);
    await expect(ca.issued(issued.certificatePem)).resolves.toBe(true);
    await expect(other.issued(issued.certificatePem)).resolves.toBe(false);
  });

  it('gives certificate ids as AWS IoT does: the SHA-256 of the DER, in hex', async () => {
    // Prepare
    const ca = await CertificateAuthority.open(join(folder, 'ca'));
    const { certificatePem } = await ca.createKeysAndCertificate();
    const der = new X509Certificate(certificatePem).raw;

    // Act
    const id = certificateIdOf(certificatePem);

    // Assess
    expect(id).toBe(createHash('sha256').update(der).digest('hex'));
    expect(certificateIdOf(der)).toBe(id);
  });

  it('signs a certificate for the key of a CSR (an EC key too), keeping its subject', async () => {
    // Prepare
    const ca = await CertificateAuthority.open(join(folder, 'ca'));
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=sensor-9',
      keys,
      signingAlgorithm: EC,
    });

    // Act
    const certificatePem = await ca.certificateFromCsr(csr.toString('pem'));

    // Assess
    const certificate = new X509Certificate(certificatePem);
    expect(certificate.subject).toBe('CN=sensor-9');
    expect(certificate.publicKey.asymmetricKeyType).toBe('ec');
    expect(certificate.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
  });

  it('refuses a CSR that is not one', async () => {
    // Prepare
    const ca = await CertificateAuthority.open(join(folder, 'ca'));

    // Act
    const signing = ca.certificateFromCsr(
      '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----',
    );

    // Assess
    await expect(signing).rejects.toThrow(InvalidCsrError);
  });

  it('issues the broker a server certificate for its host names and addresses', async () => {
    // Prepare
    const ca = await CertificateAuthority.open(join(folder, 'ca'));

    // Act
    const server = await ca.issueServerCertificate(['127.0.0.1', 'localhost']);

    // Assess
    const certificate = new X509Certificate(server.certificatePem);
    expect(certificate.checkHost('localhost')).toBe('localhost');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(certificate.checkHost('example.com')).toBeUndefined();
    expect(certificate.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
  });
});
