import type {
  Alarm,
  AlarmsPage,
  Command,
  Device,
  DeviceConfigView,
  DevicesPage,
  FleetThresholdsResponse,
  GetAlarmsResponse,
  GetThresholdsResponse,
  PutDeviceConfigRequest,
  PutDeviceConfigResponse,
  SendCommandRequest,
  TelemetryReadings,
  ThresholdRule,
  WindowMetricsPage,
} from '@iot/types';

/** An answer of the API other than success: its problem details, readable by a person. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface ProblemBody {
  title?: string;
  detail?: string;
  message?: string;
  errors?: { path?: string; message?: string }[];
}

async function problemText(answer: Response): Promise<string> {
  const text = await answer.text();
  try {
    const body = JSON.parse(text) as ProblemBody;
    const fields = (body.errors ?? []).map((error) => `${error.path ?? ''}: ${error.message ?? ''}`.trim());
    const main = body.detail ?? body.message ?? body.title ?? `HTTP ${answer.status}`;
    return fields.length > 0 && !fields.some((field) => main.includes(field)) ? `${main} (${fields.join('; ')})` : main;
  } catch {
    return text || `HTTP ${answer.status}`;
  }
}

/** The REST API of the backend, as the dashboard calls it: every call with the signed-in user's ID token. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  private async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const answer = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (answer.status === 401) this.onUnauthorized();
    if (!answer.ok) throw new ApiError(answer.status, await problemText(answer));
    return { body: (answer.status === 204 ? undefined : await answer.json()) as T, headers: answer.headers };
  }

  private async get<T>(path: string): Promise<T> {
    return (await this.call<T>('GET', path)).body;
  }

  /** Every device of the caller, page after page. */
  async devices(): Promise<DevicesPage['items']> {
    const items: DevicesPage['items'] = [];
    let nextToken: string | undefined;
    do {
      const query = new URLSearchParams({ limit: '100', ...(nextToken ? { nextToken } : {}) });
      const page = await this.get<DevicesPage>(`/devices?${query}`);
      items.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    return items;
  }

  async device(deviceId: string): Promise<Device> {
    return this.get<Device>(`/devices/${encodeURIComponent(deviceId)}`);
  }

  /** The fleet's alarms in the ALARM state, most recently changed first (one page of 100). */
  async activeAlarms(): Promise<Alarm[]> {
    return (await this.get<AlarmsPage>('/alarms?state=ALARM&limit=100')).items;
  }

  async deviceAlarms(deviceId: string): Promise<Alarm[]> {
    return (await this.get<GetAlarmsResponse>(`/devices/${encodeURIComponent(deviceId)}/alarms`)).alarms;
  }

  async acknowledge(deviceId: string, metric: string): Promise<Alarm> {
    const path = `/devices/${encodeURIComponent(deviceId)}/alarms/${encodeURIComponent(metric)}/ack`;
    return (await this.call<Alarm>('POST', path)).body;
  }

  /** Window metrics of a device since `from` (epoch ms), oldest first. */
  async deviceMetrics(deviceId: string, from: number): Promise<WindowMetricsPage['items']> {
    const query = new URLSearchParams({ from: String(from), limit: '500' });
    return (await this.get<WindowMetricsPage>(`/devices/${encodeURIComponent(deviceId)}/metrics?${query}`)).items;
  }

  /**
   * A device's recent raw readings since `from` (epoch ms), oldest first, and until when they are recorded: reading
   * them marks the device watched, which is what makes the backend record its readings.
   */
  async deviceTelemetry(deviceId: string, from: number): Promise<TelemetryReadings> {
    const query = new URLSearchParams({ from: String(from), limit: '500' });
    return this.get<TelemetryReadings>(`/devices/${encodeURIComponent(deviceId)}/telemetry?${query}`);
  }

  async thresholds(deviceId: string): Promise<GetThresholdsResponse> {
    return this.get<GetThresholdsResponse>(`/devices/${encodeURIComponent(deviceId)}/thresholds`);
  }

  async putThresholds(deviceId: string, rules: ThresholdRule[]): Promise<GetThresholdsResponse> {
    const path = `/devices/${encodeURIComponent(deviceId)}/thresholds`;
    return (await this.call<GetThresholdsResponse>('PUT', path, { rules })).body;
  }

  async fleetThresholds(): Promise<FleetThresholdsResponse> {
    return this.get<FleetThresholdsResponse>('/fleet/thresholds');
  }

  async config(deviceId: string): Promise<DeviceConfigView> {
    return this.get<DeviceConfigView>(`/devices/${encodeURIComponent(deviceId)}/config`);
  }

  async putConfig(deviceId: string, change: PutDeviceConfigRequest): Promise<PutDeviceConfigResponse> {
    const path = `/devices/${encodeURIComponent(deviceId)}/config`;
    return (await this.call<PutDeviceConfigResponse>('PUT', path, change)).body;
  }

  async sendCommand(deviceId: string, command: SendCommandRequest): Promise<Command> {
    const path = `/devices/${encodeURIComponent(deviceId)}/commands`;
    return (await this.call<Command>('POST', path, command, { 'idempotency-key': crypto.randomUUID() })).body;
  }

  async command(deviceId: string, commandId: string): Promise<Command> {
    return this.get<Command>(`/devices/${encodeURIComponent(deviceId)}/commands/${encodeURIComponent(commandId)}`);
  }
}
