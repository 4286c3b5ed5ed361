import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { AwsServiceError, DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../../edge/aws-service';
import { JsonSnapshotFile } from '../../persistence/json-snapshot-file';
import { certificateIdOf } from './certificate-authority';

export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED';
const STATUSES: readonly string[] = ['ACTIVE', 'INACTIVE', 'REVOKED'];

/** A device certificate as DescribeCertificate describes it (dates in seconds). Never its private key. */
export interface Certificate {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  status: CertificateStatus;
  creationDate: number;
  lastModifiedDate: number;
  generationId: string;
  customerVersion: number;
  validity: { notBefore: number; notAfter: number };
}

const CERTIFICATE_ID = /^[0-9a-f]{64}$/;

const notFound = (certificateId: string) =>
  new AwsServiceError('ResourceNotFoundException', `The certificate ${certificateId} does not exist`, 404);
const stateError = (message: string) => new AwsServiceError('CertificateStateException', message, 406);

/**
 * The certificates registered with AWS IoT (CreateKeysAndCertificate, CreateCertificateFromCsr), each ACTIVE,
 * INACTIVE or REVOKED; kept in `<dataDir>/iot-certificates.json` when a data folder is given. Only certificates and
 * their status are kept: private keys are handed out once and forgotten.
 */
export class CertificateRegistry {
  private readonly certificates = new Map<string, Certificate>();
  private readonly snapshot: JsonSnapshotFile | undefined;
  private readonly arnPrefix: string;
  /** Increases with every change, so decisions taken on the registry's state can tell they are stale. */
  revision = 0;

  constructor(options: { dataDir?: string; region?: string; accountId?: string } = {}) {
    this.arnPrefix = `arn:aws:iot:${options.region ?? DEFAULT_REGION}:${options.accountId ?? LOCAL_ACCOUNT_ID}:cert/`;
    if (options.dataDir) {
      this.snapshot = new JsonSnapshotFile(join(options.dataDir, 'iot-certificates.json'), () => ({
        certificates: [...this.certificates.values()],
      }));
      const saved = this.snapshot.load() as { certificates?: Certificate[] } | undefined;
      for (const certificate of saved?.certificates ?? [])
        this.certificates.set(certificate.certificateId, certificate);
    }
  }

  /** Resolves once every change made so far is on disk. */
  async persisted(): Promise<void> {
    await this.snapshot?.persisted();
  }

  async flush(): Promise<void> {
    await this.snapshot?.flush();
  }

  private changed(): void {
    this.revision++;
    this.snapshot?.changed();
  }

  /** The certificate id of a certificate ARN (`arn:aws:iot:<region>:<account>:cert/<id>`), or undefined. */
  certificateIdOfArn(principal: string): string | undefined {
    const match = /^arn:aws:iot:[^:]*:[^:]*:cert\/([0-9a-f]{64})$/.exec(principal);
    return match?.[1];
  }

  /** Registers a certificate issued by the local CA. */
  register(certificatePem: string, status: CertificateStatus): Certificate {
    const parsed = new x509.X509Certificate(certificatePem);
    const certificateId = certificateIdOf(Buffer.from(parsed.rawData));
    const now = Date.now() / 1000;
    const certificate: Certificate = {
      certificateId,
      certificateArn: `${this.arnPrefix}${certificateId}`,
      certificatePem,
      status,
      creationDate: now,
      lastModifiedDate: now,
      generationId: randomUUID(),
      customerVersion: 1,
      validity: { notBefore: parsed.notBefore.getTime() / 1000, notAfter: parsed.notAfter.getTime() / 1000 },
    };
    this.certificates.set(certificateId, certificate);
    this.changed();
    return certificate;
  }

  describe(certificateId: string): Certificate {
    if (!CERTIFICATE_ID.test(certificateId)) {
      throw new AwsServiceError(
        'InvalidRequestException',
        `certificateId must be 64 hexadecimal characters, not ${certificateId}`,
        400,
      );
    }
    const certificate = this.certificates.get(certificateId);
    if (!certificate) throw notFound(certificateId);
    return certificate;
  }

  /** The certificate of an id, or undefined; for the broker's TLS handshake. */
  find(certificateId: string): Certificate | undefined {
    return this.certificates.get(certificateId);
  }

  list(): Certificate[] {
    return [...this.certificates.values()].sort((a, b) => a.creationDate - b.creationDate);
  }

  /** UpdateCertificate: a REVOKED certificate stays revoked. */
  updateStatus(certificateId: string, newStatus: string): void {
    const certificate = this.describe(certificateId);
    if (!STATUSES.includes(newStatus)) {
      throw new AwsServiceError(
        'InvalidRequestException',
        `newStatus must be ACTIVE, INACTIVE or REVOKED, not ${newStatus}`,
        400,
      );
    }
    if (certificate.status === 'REVOKED' && newStatus !== 'REVOKED') {
      throw stateError(`The certificate ${certificateId} is REVOKED and cannot become ${newStatus}`);
    }
    certificate.status = newStatus as CertificateStatus;
    certificate.lastModifiedDate = Date.now() / 1000;
    certificate.customerVersion++;
    this.changed();
  }

  /** DeleteCertificate: only a certificate that is not ACTIVE (`attached` says what still holds on to it). */
  delete(certificateId: string, attached: { things: string[]; policies: string[] }, forceDelete: boolean): void {
    const certificate = this.describe(certificateId);
    if (certificate.status === 'ACTIVE') {
      throw stateError(
        `The certificate ${certificateId} is ACTIVE: deactivate it (UpdateCertificate) before deleting it`,
      );
    }
    if (attached.things.length > 0) {
      throw new AwsServiceError(
        'DeleteConflictException',
        `Things must be detached before deletion (attached: ${attached.things.join(', ')})`,
        409,
      );
    }
    if (attached.policies.length > 0 && !forceDelete) {
      throw new AwsServiceError(
        'DeleteConflictException',
        `Policies must be detached before deletion (attached: ${attached.policies.join(', ')}), or use forceDelete`,
        409,
      );
    }
    this.certificates.delete(certificateId);
    this.changed();
  }
}
