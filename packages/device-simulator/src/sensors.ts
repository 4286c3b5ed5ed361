import type { Metrics } from '@iot/types';
import { between, gaussian, type Random } from './random';

/** The sensors a simulated device has, by the metric name it reports. */
export const SENSOR_NAMES = ['temperature', 'humidity', 'battery', 'signalStrength'] as const;
export type SensorName = (typeof SENSOR_NAMES)[number];

/** Physical limits of the simulated sensors: a reading never leaves them. */
export const SENSOR_RANGES: Record<SensorName, { min: number; max: number }> = {
  /** °C. */
  temperature: { min: -20, max: 60 },
  /** % relative humidity. */
  humidity: { min: 0, max: 100 },
  /** % charge. */
  battery: { min: 0, max: 100 },
  /** RSSI in dBm. */
  signalStrength: { min: -120, max: -30 },
};

/**
 * An excursion: for a few readings a sensor leaves its usual band (a heat spike, a wet spell), far enough to cross
 * the thresholds a user would set (temperature over 30 °C, humidity over 85 %).
 */
export interface Excursion {
  sensor: 'temperature' | 'humidity';
  /** Added to the reading while the excursion lasts. */
  offset: number;
  /** Readings left. */
  remaining: number;
}

export interface SensorModelOptions {
  /** Chance per reading that an excursion starts (0 to 1; default 0.02). */
  excursionProbability?: number;
}

const DAY_MS = 86_400_000;
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
const clamp = (value: number, sensor: SensorName) =>
  Math.min(SENSOR_RANGES[sensor].max, Math.max(SENSOR_RANGES[sensor].min, value));

/**
 * The sensors of one device. Temperature follows a daily cycle (coolest before dawn, warmest mid-afternoon) around a
 * per-device base, with noise; humidity moves against it; the battery drains a little with every reading and never
 * recovers; the signal wanders around a per-device level. Readings depend only on the seeded random source and the
 * times passed in, so a seed reproduces them.
 */
export class SensorModel {
  private readonly baseTemperature: number;
  private readonly dailySwing: number;
  private readonly baseHumidity: number;
  private readonly drainPerReading: number;
  private readonly baseSignal: number;
  private readonly excursionProbability: number;
  private batteryLevel: number;
  private signal: number;
  private excursion: Excursion | undefined;

  constructor(
    private readonly random: Random,
    options: SensorModelOptions = {},
  ) {
    this.baseTemperature = between(random, 18, 24);
    this.dailySwing = between(random, 2, 5);
    this.baseHumidity = between(random, 40, 60);
    this.drainPerReading = between(random, 0.005, 0.03);
    this.baseSignal = between(random, -85, -55);
    this.batteryLevel = between(random, 70, 100);
    this.signal = this.baseSignal;
    this.excursionProbability = options.excursionProbability ?? 0.02;
  }

  /** The excursion under way, if any. */
  get currentExcursion(): Excursion | undefined {
    return this.excursion;
  }

  /** The battery's charge now, in %. */
  get battery(): number {
    return this.batteryLevel;
  }

  /** Reads the given sensors (all by default) at `now` (ms since the epoch); advances the battery and excursions. */
  read(now: number, sensors: readonly string[] = SENSOR_NAMES): Metrics {
    this.step();
    const hour = (now % DAY_MS) / 3_600_000;
    // Coolest around 04:00, warmest around 16:00.
    const daily = -Math.cos(((hour - 4) / 24) * 2 * Math.PI) * this.dailySwing;
    const excursion = this.excursion;
    let temperature = this.baseTemperature + daily + gaussian(this.random) * 0.3;
    let humidity = this.baseHumidity - daily * 2 + gaussian(this.random) * 1.5;
    if (excursion?.sensor === 'temperature') temperature += excursion.offset;
    if (excursion?.sensor === 'humidity') humidity += excursion.offset;
    const all: Record<SensorName, number> = {
      temperature: round(clamp(temperature, 'temperature'), 2),
      humidity: round(clamp(humidity, 'humidity'), 1),
      battery: round(this.batteryLevel, 2),
      signalStrength: Math.round(clamp(this.signal, 'signalStrength')),
    };
    const metrics: Metrics = {};
    for (const name of sensors) {
      if (name in all) metrics[name] = all[name as SensorName];
    }
    if (excursion) {
      excursion.remaining -= 1;
      if (excursion.remaining <= 0) this.excursion = undefined;
    }
    return metrics;
  }

  private step(): void {
    this.batteryLevel = Math.max(0, this.batteryLevel - this.drainPerReading * between(this.random, 0.5, 1.5));
    // A random walk pulled back towards the device's usual level.
    this.signal += (this.baseSignal - this.signal) * 0.2 + gaussian(this.random) * 2;
    if (!this.excursion && this.random() < this.excursionProbability) {
      this.excursion =
        this.random() < 0.6
          ? {
              sensor: 'temperature',
              offset: between(this.random, 12, 20),
              remaining: 1 + Math.floor(this.random() * 4),
            }
          : { sensor: 'humidity', offset: between(this.random, 35, 50), remaining: 1 + Math.floor(this.random() * 4) };
    }
  }
}
