import { RegisteredDeviceSchema } from '@iot/types';
import type { DeviceTls } from './simulated-device';

export interface CertificateRegistrationOptions {
  /** The REST API's stage base URL. */
  apiUrl: string;
  /** An ID token of the user the devices are registered to. */
  token: string;
  deviceIds: readonly string[];
  /** The CA the broker's certificate is signed by (PEM): the local cloud's, or Amazon Root CA 1. */
  ca: string;
}

/** The devices' certificates and the broker they connect to over TLS. */
export interface RegisteredFleet {
  /** `mqtts://host:port`, as `POST /devices` answered. */
  url: string;
  tls: (deviceId: string) => DeviceTls | undefined;
}

/**
 * Registers each device with `POST /devices` and keeps the certificate and private key it answers (in memory only;
 * the key is returned once). A device registered before cannot get its key again: it is named in the error, to be
 * deleted (`DELETE /devices/{id}`) or replaced by another id.
 */
export async function registerWithCertificates(options: CertificateRegistrationOptions): Promise<RegisteredFleet> {
  const credentials = new Map<string, DeviceTls>();
  let url: string | undefined;
  for (const deviceId of options.deviceIds) {
    const answer = await fetch(`${options.apiUrl}/devices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId, type: 'sensor' }),
    });
    if (answer.status === 409) {
      throw new Error(
        `${deviceId} is registered already and its private key was returned once: delete it (DELETE /devices/${deviceId}) or choose another --prefix`,
      );
    }
    if (answer.status !== 201) throw new Error(`POST /devices ${deviceId}: ${answer.status} ${await answer.text()}`);
    const device = RegisteredDeviceSchema.parse(await answer.json());
    if (!device.certificate.privateKey) throw new Error(`POST /devices ${deviceId} answered no private key`);
    credentials.set(deviceId, {
      cert: device.certificate.certificatePem,
      key: device.certificate.privateKey,
      ca: options.ca,
    });
    url = `mqtts://${device.mqtt.host}:${device.mqtt.port}`;
  }
  if (!url) throw new Error('No device to register');
  return { url, tls: (deviceId) => credentials.get(deviceId) };
}

/** The local cloud's CA certificate (PEM), from `GET <edge>/_local/iot`. */
export async function localCaCertificate(edgeUrl: string): Promise<string> {
  const answer = await fetch(`${edgeUrl}/_local/iot`);
  if (!answer.ok) throw new Error(`GET ${edgeUrl}/_local/iot: ${answer.status}`);
  const { caCertificatePem } = (await answer.json()) as { caCertificatePem?: string };
  if (!caCertificatePem) throw new Error(`GET ${edgeUrl}/_local/iot answered no caCertificatePem`);
  return caCertificatePem;
}
