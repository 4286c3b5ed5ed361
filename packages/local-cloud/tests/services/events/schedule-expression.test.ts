import { InvalidScheduleExpressionError, nextFireTime, parseScheduleExpression } from '../../../src/services/events';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The next `count` fire times of `expression` after `after`. */
function fireTimes(expression: string, after: string, count: number, anchor = after): Array<string | undefined> {
  const schedule = parseScheduleExpression(expression);
  const times: Array<string | undefined> = [];
  let from = at(after);
  for (let i = 0; i < count; i++) {
    const next = nextFireTime(schedule, from, at(anchor));
    times.push(iso(next));
    if (next === undefined) break;
    from = next;
  }
  return times;
}

describe('rate expressions', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(1 hour)', 3_600_000],
    ['rate(12 hours)', 43_200_000],
    ['rate(1 day)', 86_400_000],
    ['rate(7 days)', 604_800_000],
  ])('parses %s', (expression, periodMs) => {
    // Act
    const schedule = parseScheduleExpression(expression);

    // Assess
    expect(schedule).toEqual({ kind: 'rate', expression, periodMs });
  });

  it.each([
    ['a plural unit for 1', 'rate(1 minutes)', /singular for 1 and plural/],
    ['a singular unit for more than 1', 'rate(5 minute)', /singular for 1 and plural/],
    ['a rate of 0', 'rate(0 minutes)', /positive whole number/],
    ['seconds', 'rate(30 seconds)', /expected rate\(value unit\) or cron\(fields\)/],
    ['a fraction', 'rate(1.5 hours)', /expected rate/],
    ['no space', 'rate(5minutes)', /expected rate/],
    ['an upper-case unit', 'rate(5 MINUTES)', /expected rate/],
  ])('refuses %s, as EventBridge does', (_, expression, reason) => {
    // Act
    const parse = () => parseScheduleExpression(expression);

    // Assess
    expect(parse).toThrow(InvalidScheduleExpressionError);
    expect(parse).toThrow(reason);
  });

  it('fires every period counted from when the rule was created', () => {
    // Act
    const times = fireTimes('rate(5 minutes)', '2026-01-01T00:07:00Z', 3, '2026-01-01T00:00:30Z');

    // Assess
    expect(times).toEqual(['2026-01-01T00:10:30.000Z', '2026-01-01T00:15:30.000Z', '2026-01-01T00:20:30.000Z']);
  });

  it('fires one period after creation first, and never at a time already past', () => {
    // Prepare
    const schedule = parseScheduleExpression('rate(1 minute)');
    const created = at('2026-01-01T00:00:30Z');

    // Act
    const first = nextFireTime(schedule, created, created);
    const onTheDot = nextFireTime(schedule, created + 60_000, created);

    // Assess
    expect(iso(first)).toBe('2026-01-01T00:01:30.000Z');
    expect(iso(onTheDot)).toBe('2026-01-01T00:02:30.000Z');
  });
});

describe('cron expressions', () => {
  it.each<[string, string, string, number, Array<string | undefined>]>([
    [
      'every day at noon',
      'cron(0 12 * * ? *)',
      '2026-01-01T12:00:00Z',
      2,
      ['2026-01-02T12:00:00.000Z', '2026-01-03T12:00:00.000Z'],
    ],
    [
      'every 15 minutes from minute 0',
      'cron(0/15 * * * ? *)',
      '2026-01-01T00:07:59Z',
      3,
      ['2026-01-01T00:15:00.000Z', '2026-01-01T00:30:00.000Z', '2026-01-01T00:45:00.000Z'],
    ],
    [
      'every 10 minutes from minute 1 (1/10)',
      'cron(1/10 * * * ? *)',
      '2026-01-01T00:45:00Z',
      2,
      ['2026-01-01T00:51:00.000Z', '2026-01-01T01:01:00.000Z'],
    ],
    [
      'two minutes of one hour',
      'cron(5,35 14 * * ? *)',
      '2026-01-01T14:05:00Z',
      2,
      ['2026-01-01T14:35:00.000Z', '2026-01-02T14:05:00.000Z'],
    ],
    [
      'weekdays at 18:00, by name',
      'cron(0 18 ? * MON-FRI *)',
      '2026-01-02T18:00:00Z', // a Friday
      2,
      ['2026-01-05T18:00:00.000Z', '2026-01-06T18:00:00.000Z'],
    ],
    [
      'a range of hours across midnight',
      'cron(0 23-1 * * ? *)',
      '2026-01-01T22:00:00Z',
      4,
      ['2026-01-01T23:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-02T01:00:00.000Z', '2026-01-02T23:00:00.000Z'],
    ],
    [
      'a range of days across the weekend',
      'cron(0 9 ? * FRI-MON *)',
      '2026-01-01T09:00:00Z', // a Thursday
      5,
      [
        '2026-01-02T09:00:00.000Z',
        '2026-01-03T09:00:00.000Z',
        '2026-01-04T09:00:00.000Z',
        '2026-01-05T09:00:00.000Z',
        '2026-01-09T09:00:00.000Z',
      ],
    ],
    [
      'the first of each month',
      'cron(0 8 1 * ? *)',
      '2026-01-01T08:00:00Z',
      2,
      ['2026-02-01T08:00:00.000Z', '2026-03-01T08:00:00.000Z'],
    ],
    [
      'the last day of each month (L), leap years included',
      'cron(0 0 L * ? *)',
      '2028-01-31T00:00:00Z',
      2,
      ['2028-02-29T00:00:00.000Z', '2028-03-31T00:00:00.000Z'],
    ],
    [
      'the weekday nearest the 15th (15W), never in another month',
      'cron(0 0 15W * ? *)',
      '2026-01-31T00:00:00Z',
      1,
      ['2026-02-16T00:00:00.000Z'], // the 15th is a Sunday
    ],
    [
      'the weekday nearest the 15th, back to Friday from a Saturday',
      'cron(0 0 15W * ? *)',
      '2026-08-01T00:00:00Z',
      1,
      ['2026-08-14T00:00:00.000Z'],
    ],
    [
      'the weekday nearest the 1st, forward to Monday the 3rd from a Saturday',
      'cron(0 0 1W * ? *)',
      '2026-07-31T00:00:00Z',
      1,
      ['2026-08-03T00:00:00.000Z'],
    ],
    [
      'the last weekday of the month (LW)',
      'cron(0 0 LW * ? *)',
      '2026-01-01T00:00:00Z',
      5,
      [
        '2026-01-30T00:00:00.000Z', // the 31st is a Saturday
        '2026-02-27T00:00:00.000Z',
        '2026-03-31T00:00:00.000Z',
        '2026-04-30T00:00:00.000Z',
        '2026-05-29T00:00:00.000Z', // the 31st is a Sunday
      ],
    ],
    [
      'the last Friday of the month (6L), in 2026 only',
      'cron(15 10 ? * 6L 2026)',
      '2026-11-28T00:00:00Z',
      3,
      ['2026-12-25T10:15:00.000Z', undefined],
    ],
    [
      'the first Monday of the month (2#1)',
      'cron(0 9 ? * 2#1 *)',
      '2026-01-01T00:00:00Z',
      2,
      ['2026-01-05T09:00:00.000Z', '2026-02-02T09:00:00.000Z'],
    ],
    [
      'Saturdays (L in day-of-week)',
      'cron(0 10 ? * L *)',
      '2026-01-01T00:00:00Z',
      2,
      ['2026-01-03T10:00:00.000Z', '2026-01-10T10:00:00.000Z'],
    ],
    [
      'February 29th, in leap years only',
      'cron(0 12 29 2 ? *)',
      '2026-01-01T00:00:00Z',
      2,
      ['2028-02-29T12:00:00.000Z', '2032-02-29T12:00:00.000Z'],
    ],
    [
      'once, in a given year',
      'cron(0 0 1 JAN ? 2027)',
      '2026-06-01T00:00:00Z',
      2,
      ['2027-01-01T00:00:00.000Z', undefined],
    ],
  ])('runs %s: %s', (_, expression, after, count, expected) => {
    // Act
    const times = fireTimes(expression, after, count);

    // Assess
    expect(times).toEqual(expected);
  });

  it('fires in the minute after the time given, never at it', () => {
    // Act
    const times = fireTimes('cron(* * * * ? *)', '2026-01-01T00:00:00Z', 1);
    const mid = fireTimes('cron(* * * * ? *)', '2026-01-01T00:00:59.999Z', 1);

    // Assess
    expect(times).toEqual(['2026-01-01T00:01:00.000Z']);
    expect(mid).toEqual(['2026-01-01T00:01:00.000Z']);
  });

  it.each([
    ['five fields', 'cron(0 12 * * ?)', /6 fields, this one 5/],
    ['"?" in neither day field', 'cron(0 12 * * * *)', /exactly one of day-of-month and day-of-week/],
    ['"?" in both day fields', 'cron(0 12 ? * ? *)', /exactly one of day-of-month and day-of-week/],
    ['a minute of 60', 'cron(60 12 * * ? *)', /minutes: 60 is outside 0-59/],
    ['an hour of 24', 'cron(0 24 * * ? *)', /hours: 24 is outside 0-23/],
    ['a day-of-week of 0', 'cron(0 12 ? * 0 *)', /day-of-week: 0 is outside 1-7/],
    ['a year before 1970', 'cron(0 12 * * ? 1969)', /year: 1969 is outside 1970-2199/],
    ['a step of 0', 'cron(*/0 12 * * ? *)', /minutes: step "0"/],
    ['an unknown month name', 'cron(0 12 1 JANUARY ? *)', /month: "JANUARY" is not a value/],
    ['L in a list', 'cron(0 12 1,L * ? *)', /L and W stand alone/],
    ['a sixth Monday', 'cron(0 12 ? * 2#6 *)', /# takes 1 to 5/],
    ['W after a day that does not exist', 'cron(0 12 32W * ? *)', /day-of-month: 32 is outside 1-31/],
  ])('refuses %s', (_, expression, reason) => {
    // Act
    const parse = () => parseScheduleExpression(expression);

    // Assess
    expect(parse).toThrow(InvalidScheduleExpressionError);
    expect(parse).toThrow(reason);
  });
});
