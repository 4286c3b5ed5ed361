import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  DeleteCertificateCommand,
  DescribeEndpointCommand,
  type IoTClient,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import type { CredentialsIssuer, DeviceCredentials, MqttEndpoint } from '../domain/devices';

/** The port of MQTT over TLS with client certificates on AWS IoT Core. */
export const AWS_IOT_MQTT_PORT = 8883;

/**
 * The data endpoint's host and port. AWS answers a host name (MQTT on 8883); an endpoint that runs MQTT over TLS on
 * another port answers `host:port`.
 */
export function mqttEndpointOf(endpointAddress: string): MqttEndpoint {
  const match = /^(.+):(\d{1,5})$/.exec(endpointAddress);
  return match
    ? { host: match[1] as string, port: Number(match[2]) }
    : { host: endpointAddress, port: AWS_IOT_MQTT_PORT };
}

/** Device certificates from AWS IoT: CreateKeysAndCertificate, the device policy, the thing; and the data endpoint. */
export class IotDeviceCredentials implements CredentialsIssuer {
  private endpointAnswer: Promise<MqttEndpoint> | undefined;

  constructor(
    private readonly client: IoTClient,
    private readonly policyName: string,
  ) {}

  async issue(deviceId: string): Promise<DeviceCredentials> {
    const created = await this.client.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const { certificateId, certificateArn, certificatePem, keyPair } = created;
    if (!certificateId || !certificateArn || !certificatePem || !keyPair?.PrivateKey) {
      throw new Error('CreateKeysAndCertificate answered no certificate or key');
    }
    try {
      await this.client.send(new AttachPolicyCommand({ policyName: this.policyName, target: certificateArn }));
      await this.client.send(new AttachThingPrincipalCommand({ thingName: deviceId, principal: certificateArn }));
    } catch (error) {
      // The key is never handed out: the certificate must not stay usable.
      await this.retire(certificateId).catch(() => undefined);
      throw error;
    }
    return {
      certificateId,
      certificateArn,
      certificatePem,
      privateKey: keyPair.PrivateKey,
      ...(keyPair.PublicKey ? { publicKey: keyPair.PublicKey } : {}),
    };
  }

  /** Deactivates a certificate and deletes it (with its policy attachments). */
  async retire(certificateId: string): Promise<void> {
    await this.client.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
    await this.client.send(new DeleteCertificateCommand({ certificateId, forceDelete: true }));
  }

  /** DescribeEndpoint `iot:Data-ATS`, asked once per execution environment. */
  endpoint(): Promise<MqttEndpoint> {
    this.endpointAnswer ??= this.client
      .send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }))
      .then((answer) => {
        if (!answer.endpointAddress) throw new Error('DescribeEndpoint answered no endpointAddress');
        return mqttEndpointOf(answer.endpointAddress);
      });
    this.endpointAnswer.catch(() => {
      this.endpointAnswer = undefined;
    });
    return this.endpointAnswer;
  }
}
