import { formatTimestamp } from '../../../src/services/firehose';

describe('Firehose prefix timestamps', () => {
  const time = new Date('2026-05-12T23:30:05.042Z');

  it('formats the default folder pattern in UTC', () => {
    // Act
    const folder = formatTimestamp('yyyy/MM/dd/HH/', time);

    // Assess
    expect(folder).toBe('2026/05/12/23/');
  });

  it('formats in the destination time zone, across the date line', () => {
    // Act
    const tokyo = formatTimestamp("'year='yyyy/'month='MM/'day='dd/HH", time, 'Asia/Tokyo');

    // Assess
    expect(tokyo).toBe('year=2026/month=05/day=13/08');
  });

  it('formats names of months and days, 12-hour clocks and milliseconds', () => {
    // Act
    const text = formatTimestamp("EEE, dd MMM yyyy hh:mm:ss.SSS a 'D'DDD", time);

    // Assess
    expect(text).toBe('Tue, 12 May 2026 11:30:05.042 PM D132');
  });

  it('refuses a pattern letter prefixes do not support, naming it', () => {
    // Act
    const format = () => formatTimestamp('yyyy-ww', time);

    // Assess
    expect(format).toThrow(/"w"/);
  });

  it('refuses an unknown time zone, naming it', () => {
    // Act
    const format = () => formatTimestamp('yyyy', time, 'Mars/Olympus_Mons');

    // Assess
    expect(format).toThrow(/Mars\/Olympus_Mons/);
  });
});
