import { seededRandom } from '../src/random';
import { SENSOR_NAMES, SENSOR_RANGES, SensorModel } from '../src/sensors';

const NOON = Date.UTC(2026, 5, 1, 12);
const readings = (model: SensorModel, count: number, stepMs = 60_000) =>
  Array.from({ length: count }, (_, i) => model.read(NOON + i * stepMs));

describe('SensorModel', () => {
  it('gives the same readings for the same seed, and others for another seed', () => {
    // Prepare
    const a = new SensorModel(seededRandom(7));
    const b = new SensorModel(seededRandom(7));
    const c = new SensorModel(seededRandom(8));

    // Act
    const [first, second, other] = [readings(a, 20), readings(b, 20), readings(c, 20)];

    // Assess
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('keeps every reading within its sensor’s range, excursions included', () => {
    // Prepare
    const model = new SensorModel(seededRandom(3), { excursionProbability: 0.3 });

    // Act
    const all = readings(model, 2_000, 300_000);

    // Assess
    for (const metrics of all) {
      expect(Object.keys(metrics).sort()).toEqual([...SENSOR_NAMES].sort());
      for (const name of SENSOR_NAMES) {
        expect(metrics[name]).toBeGreaterThanOrEqual(SENSOR_RANGES[name].min);
        expect(metrics[name]).toBeLessThanOrEqual(SENSOR_RANGES[name].max);
      }
    }
  });

  it('stays in a comfortable band without excursions, warmer in the afternoon than before dawn', () => {
    // Prepare
    const model = new SensorModel(seededRandom(11), { excursionProbability: 0 });
    const day = Date.UTC(2026, 5, 1);

    // Act
    const dawn = Array.from({ length: 10 }, () => model.read(day + 4 * 3_600_000).temperature as number);
    const afternoon = Array.from({ length: 10 }, () => model.read(day + 16 * 3_600_000).temperature as number);
    const all = readings(model, 500, 600_000);

    // Assess
    const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
    expect(mean(afternoon) - mean(dawn)).toBeGreaterThan(2);
    for (const metrics of all) {
      expect(metrics.temperature).toBeGreaterThan(10);
      expect(metrics.temperature).toBeLessThan(30);
      expect(metrics.humidity).toBeLessThan(85);
    }
  });

  it('has occasional excursions that cross the usual thresholds (temperature over 30 °C or humidity over 85 %)', () => {
    // Prepare
    const model = new SensorModel(seededRandom(5), { excursionProbability: 0.05 });

    // Act
    const all = readings(model, 1_000);

    // Assess
    const crossing = all.filter((m) => (m.temperature as number) > 30 || (m.humidity as number) > 85);
    expect(crossing.length).toBeGreaterThan(10);
    expect(crossing.length).toBeLessThan(300);
  });

  it('drains the battery with every reading and never recharges it', () => {
    // Prepare
    const model = new SensorModel(seededRandom(9));

    // Act
    const levels = readings(model, 5_000).map((m) => m.battery as number);

    // Assess
    for (let i = 1; i < levels.length; i += 1) expect(levels[i]).toBeLessThanOrEqual(levels[i - 1] as number);
    expect(levels[0] as number).toBeGreaterThan(levels[levels.length - 1] as number);
  });

  it('reads only the sensors asked for, and ignores names it has no sensor for', () => {
    // Prepare
    const model = new SensorModel(seededRandom(1));

    // Act
    const metrics = model.read(NOON, ['humidity', 'co2']);

    // Assess
    expect(Object.keys(metrics)).toEqual(['humidity']);
  });
});
