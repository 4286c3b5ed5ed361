/**
 * EventBridge's six-field cron expressions (`minutes hours day-of-month month day-of-week year`, UTC), parsed into
 * the sets of values each field allows, with the next matching minute after a given time.
 *
 * Fields and wildcards, as EventBridge documents them:
 * - Minutes `0-59`, Hours `0-23`, Month `1-12` or `JAN-DEC`, Year `1970-2199`: `, - * /`.
 * - Day-of-month `1-31`: `, - * ? /`, and `L` (last day), `LW` (last weekday), `nW` (the weekday nearest day n,
 *   within the month).
 * - Day-of-week `1-7` or `SUN-SAT` (1 is Sunday): `, - * ? /`, and `L` (Saturday, the last day of the week), `nL`
 *   (the last day n of the month), `n#k` (the k-th day n of the month).
 * - Exactly one of day-of-month and day-of-week is `?`.
 * - `a/n` starts at a and steps by n up to the field's maximum; `a-b` with a > b wraps around (`FRI-MON`).
 */

/** A schedule expression EventBridge would refuse; the message says what is wrong. */
export class InvalidScheduleExpressionError extends Error {
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`Parameter ScheduleExpression is not valid: ${JSON.stringify(expression)}: ${reason}`);
    this.name = 'InvalidScheduleExpressionError';
  }
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const MINUTES: FieldSpec = { name: 'minutes', min: 0, max: 59 };
const HOURS: FieldSpec = { name: 'hours', min: 0, max: 23 };
const DAYS_OF_MONTH: FieldSpec = { name: 'day-of-month', min: 1, max: 31 };
const MONTHS: FieldSpec = { name: 'month', min: 1, max: 12, names: MONTH_NAMES };
const DAYS_OF_WEEK: FieldSpec = { name: 'day-of-week', min: 1, max: 7, names: DAY_NAMES };
const YEARS: FieldSpec = { name: 'year', min: 1970, max: 2199 };

/** What the day-of-month field asks for. */
type DayOfMonthRule =
  | { kind: 'any' }
  | { kind: 'days'; days: ReadonlySet<number> }
  | { kind: 'last' }
  | { kind: 'last-weekday' }
  | { kind: 'nearest-weekday'; day: number };

/** What the day-of-week field asks for (1 = Sunday). */
type DayOfWeekRule =
  | { kind: 'any' }
  | { kind: 'days'; days: ReadonlySet<number> }
  | { kind: 'last-of-month'; day: number }
  | { kind: 'nth-of-month'; day: number; nth: number };

/** A parsed cron expression. */
export interface CronSchedule {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly months: readonly number[];
  readonly years: readonly number[];
  readonly dayOfMonth: DayOfMonthRule;
  readonly dayOfWeek: DayOfWeekRule;
}

function parseValue(text: string, field: FieldSpec, fail: (reason: string) => never): number {
  const named = field.names ? field.names.indexOf(text.toUpperCase()) : -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(text)) fail(`${field.name}: ${JSON.stringify(text)} is not a value`);
  const value = Number(text);
  if (value < field.min || value > field.max) {
    fail(`${field.name}: ${value} is outside ${field.min}-${field.max}`);
  }
  return value;
}

/** The values of a list field (`, - * /`). */
function parseList(text: string, field: FieldSpec, fail: (reason: string) => never): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') fail(`${field.name}: empty list item`);
    const [range, stepText, ...extra] = item.split('/');
    if (extra.length > 0 || range === undefined) fail(`${field.name}: ${JSON.stringify(item)} has more than one "/"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) fail(`${field.name}: step ${JSON.stringify(stepText)}`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = field.min;
      to = field.max;
    } else if (range.includes('-')) {
      const [a, b, ...more] = range.split('-');
      if (more.length > 0 || !a || !b) fail(`${field.name}: ${JSON.stringify(range)} is not a range`);
      from = parseValue(a, field, fail);
      to = parseValue(b, field, fail);
    } else {
      from = parseValue(range, field, fail);
      // `a/n` runs from a to the end of the field; a plain `a` is a itself.
      to = stepText === undefined ? from : field.max;
    }
    // A range that wraps (`22-2`, `FRI-MON`) runs to the end of the field and on from its start.
    const span = to >= from ? to - from : field.max - from + (to - field.min) + 1;
    for (let offset = 0; offset <= span; offset += step) {
      const value = from + offset;
      values.add(value > field.max ? value - (field.max - field.min + 1) : value);
    }
  }
  return [...values].sort((a, b) => a - b);
}

function parseDayOfMonth(text: string, fail: (reason: string) => never): DayOfMonthRule {
  if (text === '?') return { kind: 'any' };
  if (text.toUpperCase() === 'L') return { kind: 'last' };
  if (text.toUpperCase() === 'LW') return { kind: 'last-weekday' };
  const weekday = /^(\d+)W$/i.exec(text);
  if (weekday) return { kind: 'nearest-weekday', day: parseValue(weekday[1] as string, DAYS_OF_MONTH, fail) };
  if (/[LW]/i.test(text)) fail(`day-of-month: ${JSON.stringify(text)}: L and W stand alone (L, LW, nW)`);
  return { kind: 'days', days: new Set(parseList(text, DAYS_OF_MONTH, fail)) };
}

function parseDayOfWeek(text: string, fail: (reason: string) => never): DayOfWeekRule {
  if (text === '?') return { kind: 'any' };
  if (text.toUpperCase() === 'L') return { kind: 'days', days: new Set([7]) };
  const last = /^(\w+)L$/i.exec(text);
  if (last) return { kind: 'last-of-month', day: parseValue(last[1] as string, DAYS_OF_WEEK, fail) };
  const nth = /^(\w+)#(\d+)$/.exec(text);
  if (nth) {
    const which = Number(nth[2]);
    if (which < 1 || which > 5) fail(`day-of-week: ${JSON.stringify(text)}: # takes 1 to 5`);
    return { kind: 'nth-of-month', day: parseValue(nth[1] as string, DAYS_OF_WEEK, fail), nth: which };
  }
  // No day name holds an L or a #.
  if (/[L#]/i.test(text)) {
    fail(`day-of-week: ${JSON.stringify(text)}: L and # stand alone (L, nL, n#k)`);
  }
  return { kind: 'days', days: new Set(parseList(text, DAYS_OF_WEEK, fail)) };
}

/** Parses the six fields inside `cron(...)`; `expression` is the whole text, for messages. */
export function parseCronFields(fields: string, expression = `cron(${fields})`): CronSchedule {
  const fail = (reason: string): never => {
    throw new InvalidScheduleExpressionError(expression, reason);
  };
  const parts = fields.trim().split(/\s+/);
  if (parts.length !== 6) fail(`a cron expression has 6 fields, this one ${parts.length}`);
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    fail('exactly one of day-of-month and day-of-week must be "?"');
  }
  return {
    minutes: parseList(minutes, MINUTES, fail),
    hours: parseList(hours, HOURS, fail),
    dayOfMonth: parseDayOfMonth(dayOfMonth, fail),
    months: parseList(month, MONTHS, fail),
    dayOfWeek: parseDayOfWeek(dayOfWeek, fail),
    years: parseList(year, YEARS, fail),
  };
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** 1 = Sunday ... 7 = Saturday. */
const weekdayOf = (year: number, month: number, day: number) =>
  new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
const isWeekday = (weekday: number) => weekday >= 2 && weekday <= 6;

/** The weekday nearest `day` without leaving the month (`15W`, and `LW` from the last day). */
function nearestWeekday(year: number, month: number, day: number): number {
  const last = daysIn(year, month);
  const target = Math.min(day, last);
  const weekday = weekdayOf(year, month, target);
  if (isWeekday(weekday)) return target;
  if (weekday === 7) return target === 1 ? target + 2 : target - 1; // Saturday: Friday, or Monday the 3rd
  return target === last ? target - 2 : target + 1; // Sunday: Monday, or Friday when Sunday ends the month
}

/** The days of a month a schedule runs on, in order. */
export function daysOfMonth(schedule: CronSchedule, year: number, month: number): number[] {
  const last = daysIn(year, month);
  const { dayOfMonth: dom, dayOfWeek: dow } = schedule;
  switch (dom.kind) {
    case 'days':
      return [...dom.days].filter((day) => day <= last).sort((a, b) => a - b);
    case 'last':
      return [last];
    case 'last-weekday':
      return [nearestWeekday(year, month, last)];
    case 'nearest-weekday':
      return dom.day <= last ? [nearestWeekday(year, month, dom.day)] : [];
    case 'any':
      break;
  }
  const days: number[] = [];
  for (let day = 1; day <= last; day++) {
    const weekday = weekdayOf(year, month, day);
    const matches =
      dow.kind === 'any' ||
      (dow.kind === 'days' && dow.days.has(weekday)) ||
      (dow.kind === 'last-of-month' && weekday === dow.day && day + 7 > last) ||
      (dow.kind === 'nth-of-month' && weekday === dow.day && Math.ceil(day / 7) === dow.nth);
    if (matches) days.push(day);
  }
  return days;
}

const MINUTE_MS = 60_000;

/** The first minute strictly after `after` (ms) that the schedule runs at, or `undefined` if none is left. */
export function nextCronTime(schedule: CronSchedule, after: number): number | undefined {
  const start = new Date(Math.floor(after / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
  const y0 = start.getUTCFullYear();
  const mo0 = start.getUTCMonth() + 1;
  const d0 = start.getUTCDate();
  const h0 = start.getUTCHours();
  const mi0 = start.getUTCMinutes();
  for (const year of schedule.years) {
    if (year < y0) continue;
    for (const month of schedule.months) {
      if (year === y0 && month < mo0) continue;
      const sameMonth = year === y0 && month === mo0;
      for (const day of daysOfMonth(schedule, year, month)) {
        if (sameMonth && day < d0) continue;
        const sameDay = sameMonth && day === d0;
        for (const hour of schedule.hours) {
          if (sameDay && hour < h0) continue;
          const sameHour = sameDay && hour === h0;
          for (const minute of schedule.minutes) {
            if (sameHour && minute < mi0) continue;
            return Date.UTC(year, month - 1, day, hour, minute);
          }
        }
      }
    }
  }
  return undefined;
}
