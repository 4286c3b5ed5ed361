import * as z from 'zod';
import { ConfigurationError, once, readConfig } from '../src';

const schema = z.object({
  TABLE_NAME: z.string().min(1),
  CACHE_TTL_SECONDS: z.coerce.number().int().positive().default(60),
});

describe('readConfig', () => {
  it('reads and converts the variables the function needs', () => {
    // Act
    const config = readConfig(schema, { TABLE_NAME: 'alarms', CACHE_TTL_SECONDS: '30' });

    // Assess
    expect(config).toEqual({ TABLE_NAME: 'alarms', CACHE_TTL_SECONDS: 30 });
  });

  it('fails fast, naming every missing or invalid variable', () => {
    // Act
    const reading = () => readConfig(schema, { CACHE_TTL_SECONDS: 'soon' });

    // Assess
    expect(reading).toThrow(ConfigurationError);
    expect(reading).toThrow(/TABLE_NAME is not set; CACHE_TTL_SECONDS: /);
  });
});

describe('once', () => {
  it('builds on first use only', () => {
    // Prepare
    let builds = 0;
    const get = once(() => ++builds);

    // Act
    get();
    get();

    // Assess
    expect(builds).toBe(1);
  });
});
