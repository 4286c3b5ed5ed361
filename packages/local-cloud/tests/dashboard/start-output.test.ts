import { formatReadySummary } from '../../src/cli/start-output';

const ENDPOINTS = {
  edge: 'http://127.0.0.1:4566',
  api: 'http://127.0.0.1:3000/local',
  health: 'http://127.0.0.1:4566/_local/health',
  mqttTls: 'mqtts://127.0.0.1:8883',
  mqtt: 'mqtt://127.0.0.1:1883',
  mqttWebSocket: 'ws://127.0.0.1:4566/mqtt',
  dashboard: 'http://127.0.0.1:4566/dashboard/',
};

describe('the summary pnpm start prints once ready', () => {
  it('names every URL, the demo token and a mosquitto_pub line for a simulated device', () => {
    // Act
    const text = formatReadySummary({
      endpoints: ENDPOINTS,
      stage: 'local',
      dataDir: '/repo/.local',
      seconds: 6.24,
      token: 'header.payload.signature',
      devices: ['sim-001', 'sim-002'],
      logsDir: '/repo/.local/logs',
    });

    // Assess
    expect(text).toMatch(/^Ready in 6\.2 s: stage local, data in \/repo\/\.local/);
    expect(text).toMatch(/Dashboard +http:\/\/127\.0\.0\.1:4566\/dashboard\//);
    expect(text).toMatch(/REST API +http:\/\/127\.0\.0\.1:3000\/local/);
    expect(text).toMatch(/MQTT \(TLS\) +mqtts:\/\/127\.0\.0\.1:8883 +the device certificate POST \/devices returns/);
    expect(text).toMatch(
      /MQTT +mqtt:\/\/127\.0\.0\.1:1883 +plain, development only; WebSocket ws:\/\/127\.0\.0\.1:4566\/mqtt/,
    );
    expect(text).toMatch(/Edge +http:\/\/127\.0\.0\.1:4566 +AWS_ENDPOINT_URL/);
    expect(text).toContain('export TOKEN=header.payload.signature');
    expect(text).toContain('mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t devices/sim-001/telemetry -m ');
    expect(text).toContain('Simulating 2 devices (sim-001, sim-002)');
    expect(text).toContain('Function logs: /repo/.local/logs/<function>.log (--logs prints them here too)');
  });

  it('says how to get devices when none are simulated, and leaves out what did not start', () => {
    // Act
    const text = formatReadySummary({
      endpoints: { edge: ENDPOINTS.edge, api: ENDPOINTS.api, health: ENDPOINTS.health },
      stage: 'dev',
      dataDir: '/data',
      seconds: 1,
      devices: [],
    });

    // Assess
    expect(text).not.toMatch(/Dashboard|MQTT|export TOKEN|mosquitto_pub/);
    expect(text).toContain('No simulated devices (--devices <n> starts some)');
  });
});
