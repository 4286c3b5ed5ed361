/** The pure parts of the service: how commands, devices and configurations are shown, and the page tokens. */
import { CommandSchema, DeviceConfigViewSchema, DeviceSchema } from '@iot/types';
import { type CommandRecord, commandView } from '../src/domain/commands';
import { viewDeviceConfig } from '../src/domain/device-config';
import { type DeviceRecord, deviceView, type ShadowDocument } from '../src/domain/devices';
import { decodeDevicesToken, encodeDevicesToken } from '../src/handlers/paging';

const NOW = 1_767_225_600_000;

describe('commandView', () => {
  const record: CommandRecord = {
    deviceId: 'd1',
    commandId: '3b0e7c2a-9d41-4f6e-8a5b-2c1d0e9f8a7b',
    ownerId: 'u1',
    name: 'reboot',
    parameters: {},
    status: 'sent',
    requestedAt: NOW,
    sentAt: NOW,
    deadline: NOW + 60_000,
    expiresAt: 1_769_817_600,
  };

  it.each([
    ['sent before the deadline', 'sent', NOW + 60_000, 'sent'],
    ['sent past the deadline', 'sent', NOW + 60_001, 'timedOut'],
    ['pending past the deadline', 'pending', NOW + 60_001, 'timedOut'],
    ['answered past the deadline', 'failed', NOW + 999_999, 'failed'],
  ] as const)('shows a command %s as %s', (_, status, now, shown) => {
    // Act
    const view = commandView({ ...record, status }, now);

    // Assess
    expect(view.status).toBe(shown);
    expect(CommandSchema.parse(view)).toEqual(view);
    expect(view).not.toHaveProperty('ownerId');
    expect(view).not.toHaveProperty('expiresAt');
  });
});

describe('deviceView', () => {
  it('shows a device that never connected as unknown, without its owner', () => {
    // Prepare
    const record: DeviceRecord = {
      deviceId: 'd1',
      ownerId: 'u1',
      type: 'sensor',
      attributes: {},
      registeredAt: NOW,
      thingArn: 'arn:aws:iot:us-east-1:000000000000:thing/d1',
    };

    // Act
    const view = deviceView(record, undefined);

    // Assess
    expect(DeviceSchema.parse(view)).toEqual({
      deviceId: 'd1',
      type: 'sensor',
      attributes: {},
      registeredAt: NOW,
      thingArn: 'arn:aws:iot:us-east-1:000000000000:thing/d1',
      connectivity: { state: 'unknown' },
    });
  });
});

describe('viewDeviceConfig', () => {
  it('takes the latest timestamp of each side from nested and array metadata', async () => {
    // Prepare
    const shadow: ShadowDocument = {
      state: { desired: { a: 1, nested: { b: 2 } }, reported: { list: [1, 2] } },
      metadata: {
        desired: { a: { timestamp: 1_767_225_100 }, nested: { b: { timestamp: 1_767_225_300 } } },
        reported: { list: [{ timestamp: 1_767_225_200 }, { timestamp: 1_767_225_250 }] },
      },
      version: 3,
      timestamp: 1_767_225_400_000,
    };

    // Act
    const view = await viewDeviceConfig({ getShadow: async () => shadow, deleteShadow: async () => undefined }, 'd1');

    // Assess
    expect(DeviceConfigViewSchema.parse(view)).toMatchObject({
      version: 3,
      delta: {},
      desiredUpdatedAt: 1_767_225_300_000,
      reportedUpdatedAt: 1_767_225_250_000,
    });
  });
});

describe('device page tokens', () => {
  it('round-trips the last device id', () => {
    // Act
    const token = encodeDevicesToken('sensor-42');

    // Assess
    expect(decodeDevicesToken(token)).toBe('sensor-42');
  });

  it.each(['%%%', Buffer.from('{"after":"a b"}').toString('base64url'), Buffer.from('[]').toString('base64url')])(
    'refuses %j with a 400',
    (token) => {
      // Act
      const decoding = () => decodeDevicesToken(token);

      // Assess
      expect(decoding).toThrow(expect.objectContaining({ status: 400 }));
    },
  );
});
