import 'reflect-metadata';
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Device key pairs are RSA 2048, as CreateKeysAndCertificate makes them. */
const RSA: webcrypto.RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};
/** The CA's and the broker's keys are P-256: quick to make on every start, and signatures as strong. */
const EC: webcrypto.EcKeyGenParams & { hash: string } = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 86_400_000;
/** AWS IoT's certificates from CreateKeysAndCertificate are valid until 2049; ours for 25 years. */
const DEVICE_CERTIFICATE_DAYS = 25 * 365;
const CA_DAYS = 30 * 365;
const SERVER_CERTIFICATE_DAYS = 365;

/** A certificate signing request AWS would refuse (CreateCertificateFromCsr answers InvalidRequestException). */
export class InvalidCsrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCsrError';
  }
}

/** A certificate and the PEM of its key pair, as CreateKeysAndCertificate returns them. */
export interface IssuedKeysAndCertificate {
  certificatePem: string;
  publicKeyPem: string;
  privateKeyPem: string;
}

/** The certificate id AWS IoT gives a certificate: the SHA-256 of its DER encoding, in hex. */
export function certificateIdOf(certificate: string | Buffer): string {
  const der =
    typeof certificate === 'string' ? Buffer.from(new x509.X509Certificate(certificate).rawData) : certificate;
  return createHash('sha256').update(der).digest('hex');
}

const serialNumber = () => {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
};

const pem = (label: string, der: ArrayBuffer) => x509.PemConverter.encode(der, label);

async function exportKeys(keys: CryptoKeyPair): Promise<{ publicKeyPem: string; privateKeyPem: string }> {
  const [spki, pkcs8] = await Promise.all([
    webcrypto.subtle.exportKey('spki', keys.publicKey),
    webcrypto.subtle.exportKey('pkcs8', keys.privateKey),
  ]);
  return { publicKeyPem: pem('PUBLIC KEY', spki), privateKeyPem: pem('PRIVATE KEY', pkcs8) };
}

/**
 * The local cloud's certificate authority: a self-signed root created on first start in its folder (the private key
 * readable by the owner only) and kept there, which signs the devices' certificates and the broker's server
 * certificate. Nothing here logs a key.
 */
export class CertificateAuthority {
  private constructor(
    private readonly certificate: x509.X509Certificate,
    private readonly privateKey: CryptoKey,
    /** Where the CA certificate is, for clients that take a file (`mosquitto_pub --cafile`). */
    readonly certificatePath: string,
  ) {}

  /** Loads the CA kept in `folder`, or creates one there. */
  static async open(folder: string): Promise<CertificateAuthority> {
    const certificatePath = join(folder, 'root-ca.pem');
    const keyPath = join(folder, 'root-ca.key');
    let certificatePem: string | undefined;
    let keyPem: string | undefined;
    try {
      [certificatePem, keyPem] = await Promise.all([readFile(certificatePath, 'utf8'), readFile(keyPath, 'utf8')]);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (certificatePem && keyPem) {
      const privateKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(keyPem), EC, false, [
        'sign',
      ]);
      return new CertificateAuthority(
        new x509.X509Certificate(certificatePem),
        privateKey as CryptoKey,
        certificatePath,
      );
    }
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = Date.now();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialNumber(),
      name: 'CN=IoT local cloud root CA, O=iot-serverless-backend local cloud',
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + CA_DAYS * DAY_MS),
      signingAlgorithm: EC,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const { privateKeyPem } = await exportKeys(keys);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await writeFile(keyPath, privateKeyPem, { mode: 0o600 });
    await chmod(keyPath, 0o600);
    await writeFile(certificatePath, certificate.toString('pem'));
    return new CertificateAuthority(certificate, keys.privateKey, certificatePath);
  }

  /** The CA certificate, PEM: what clients trust (`--cafile`, mqtt.js `ca`). */
  get certificatePem(): string {
    return this.certificate.toString('pem');
  }

  /** A key pair and a certificate for it, as CreateKeysAndCertificate issues them. */
  async createKeysAndCertificate(): Promise<IssuedKeysAndCertificate> {
    const keys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
    const certificate = await this.sign(keys.publicKey, 'CN=AWS IoT Certificate', DEVICE_CERTIFICATE_DAYS, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ]);
    return { certificatePem: certificate.toString('pem'), ...(await exportKeys(keys)) };
  }

  /** A certificate for the public key of a PEM certificate signing request, once its signature is checked. */
  async certificateFromCsr(csrPem: string): Promise<string> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (error) {
      throw new InvalidCsrError(`The certificate signing request is not a PEM PKCS#10 request: ${String(error)}`);
    }
    if (!(await csr.verify())) throw new InvalidCsrError('The certificate signing request is not signed by its key');
    const publicKey = await csr.publicKey.export();
    const certificate = await this.sign(publicKey, csr.subject || 'CN=AWS IoT Certificate', DEVICE_CERTIFICATE_DAYS, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ]);
    return certificate.toString('pem');
  }

  /** A server certificate for the broker's TLS listener, valid for `hosts` (DNS names and IP addresses). */
  async issueServerCertificate(hosts: string[]): Promise<{ certificatePem: string; privateKeyPem: string }> {
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    const names = hosts.map((host) =>
      /^[\d.]+$/.test(host) || host.includes(':')
        ? { type: 'ip' as const, value: host }
        : { type: 'dns' as const, value: host },
    );
    const certificate = await this.sign(keys.publicKey, `CN=${hosts[0] ?? 'localhost'}`, SERVER_CERTIFICATE_DAYS, [
      new x509.SubjectAlternativeNameExtension(names),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ]);
    return { certificatePem: certificate.toString('pem'), privateKeyPem: (await exportKeys(keys)).privateKeyPem };
  }

  private async sign(
    publicKey: CryptoKey,
    subject: string,
    days: number,
    extensions: x509.Extension[],
  ): Promise<x509.X509Certificate> {
    const now = Date.now();
    return x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject,
      issuer: this.certificate.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + days * DAY_MS),
      signingAlgorithm: EC,
      publicKey,
      signingKey: this.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          publicKey.algorithm.name === 'ECDSA'
            ? x509.KeyUsageFlags.digitalSignature
            : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate),
        ...extensions,
      ],
    });
  }

  /** Whether the certificate (PEM) was signed by this CA. */
  async issued(certificatePem: string): Promise<boolean> {
    try {
      const certificate = new x509.X509Certificate(certificatePem);
      return (
        certificate.issuer === this.certificate.subject &&
        (await certificate.verify({ publicKey: this.certificate.publicKey, signatureOnly: true }))
      );
    } catch {
      return false;
    }
  }
}
