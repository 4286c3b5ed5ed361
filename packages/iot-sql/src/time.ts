/**
 * `parse_time` (Joda-Time patterns) and `time_to_epoch` (java.time patterns) for the pattern letters
 * rules use in practice. Time zones are IANA names (through Intl) or fixed offsets such as `UTC+01:00`.
 */

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const FIXED_OFFSET = /^(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;

const formatters = new Map<string, Intl.DateTimeFormat | null>();

function zoneFormatter(zone: string): Intl.DateTimeFormat | undefined {
  let f = formatters.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      f = null;
    }
    formatters.set(zone, f);
  }
  return f ?? undefined;
}

/** The offset from UTC (ms) of a time zone at an instant, or `undefined` for an unknown zone. */
export function zoneOffset(zone: string, epochMs: number): number | undefined {
  if (/^(?:UTC|GMT|UT|Z)$/i.test(zone)) return 0;
  const fixed = FIXED_OFFSET.exec(zone);
  if (fixed) {
    const ms = (Number(fixed[2]) * 60 + Number(fixed[3] ?? 0)) * 60000;
    return fixed[1] === '-' ? -ms : ms;
  }
  const f = zoneFormatter(zone);
  if (!f) return undefined;
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(epochMs)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return local - (epochMs - (((epochMs % 1000) + 1000) % 1000));
}

function zoneName(zone: string, epochMs: number, long: boolean): string {
  if (/^(?:UTC|Z)$/i.test(zone)) return long ? 'Coordinated Universal Time' : 'UTC';
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: long ? 'long' : 'short' })
      .formatToParts(epochMs)
      .find((p) => p.type === 'timeZoneName');
    return parts?.value ?? zone;
  } catch {
    return zone;
  }
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n));
  return (n < 0 ? '-' : '') + (s.length >= width ? s : '0'.repeat(width - s.length) + s);
}

function offsetText(offsetMs: number, colon: boolean): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const minutes = Math.abs(offsetMs) / 60000;
  return `${sign}${pad(Math.floor(minutes / 60), 2)}${colon ? ':' : ''}${pad(minutes % 60, 2)}`;
}

/** Splits a pattern into letter runs and literal text. */
function tokenize(pattern: string): { letter: string; count: number; literal: string }[] {
  const out: { letter: string; count: number; literal: string }[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        out.push({ letter: '', count: 0, literal: "'" });
        i += 2;
        continue;
      }
      let text = '';
      i++;
      while (i < pattern.length) {
        if (pattern[i] === "'") {
          if (pattern[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          break;
        }
        text += pattern[i];
        i++;
      }
      i++;
      out.push({ letter: '', count: 0, literal: text });
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      out.push({ letter: c, count: j - i, literal: '' });
      i = j;
    } else {
      out.push({ letter: '', count: 0, literal: c });
      i++;
    }
  }
  return out;
}

/**
 * Formats epoch milliseconds with a Joda-Time pattern in a time zone (`parse_time`).
 * Returns `undefined` for an unknown zone or pattern letter.
 */
export function formatTime(pattern: string, epochMs: number, zone: string): string | undefined {
  const offset = zoneOffset(zone, epochMs);
  if (offset === undefined || !Number.isFinite(epochMs)) return undefined;
  const d = new Date(epochMs + offset);
  if (Number.isNaN(d.getTime())) return undefined;
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const day = d.getUTCDate();
  const hour = d.getUTCHours();
  const weekday = d.getUTCDay();
  let out = '';
  for (const t of tokenize(pattern)) {
    const n = t.count;
    switch (t.letter) {
      case '':
        out += t.literal;
        break;
      case 'G':
        out += year > 0 ? 'AD' : 'BC';
        break;
      case 'y':
      case 'Y':
      case 'u':
        out += n === 2 ? pad(Math.abs(year) % 100, 2) : pad(year, n);
        break;
      case 'M':
        out += n >= 4 ? MONTHS[month] : n === 3 ? MONTHS[month]?.slice(0, 3) : pad(month + 1, n);
        break;
      case 'd':
        out += pad(day, n);
        break;
      case 'D':
        out += pad(Math.floor((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / 86400000) + 1, n);
        break;
      case 'E':
        out += n >= 4 ? DAYS[weekday] : DAYS[weekday]?.slice(0, 3);
        break;
      case 'e':
        out += pad(weekday === 0 ? 7 : weekday, n);
        break;
      case 'a':
        out += hour < 12 ? 'AM' : 'PM';
        break;
      case 'H':
        out += pad(hour, n);
        break;
      case 'k':
        out += pad(hour === 0 ? 24 : hour, n);
        break;
      case 'K':
        out += pad(hour % 12, n);
        break;
      case 'h':
        out += pad(hour % 12 === 0 ? 12 : hour % 12, n);
        break;
      case 'm':
        out += pad(d.getUTCMinutes(), n);
        break;
      case 's':
        out += pad(d.getUTCSeconds(), n);
        break;
      case 'S':
        out += pad(d.getUTCMilliseconds(), 3).slice(0, Math.min(n, 3)) + '0'.repeat(Math.max(0, n - 3));
        break;
      case 'z':
        out += zoneName(zone, epochMs, n >= 4);
        break;
      case 'Z':
        out += n === 1 ? offsetText(offset, false) : n === 2 ? offsetText(offset, true) : zone;
        break;
      default:
        return undefined;
    }
  }
  return out;
}

interface ParsePlan {
  regex: RegExp;
  fields: { letter: string; count: number }[];
}

const plans = new Map<string, ParsePlan | null>();

const ZONE_TEXT = '([A-Za-z][A-Za-z0-9_/+\\-:]*)';
const OFFSET_TEXT = '(Z|[+-]\\d{2}(?::?\\d{2})?)';

function planFor(pattern: string): ParsePlan | undefined {
  let plan = plans.get(pattern);
  if (plan !== undefined) return plan ?? undefined;
  const fields: { letter: string; count: number }[] = [];
  let source = '^';
  plan = null;
  let ok = true;
  for (const t of tokenize(pattern)) {
    const n = t.count;
    let part: string | undefined;
    switch (t.letter) {
      case '':
        source += t.literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        continue;
      case 'y':
      case 'u':
      case 'Y':
        part = n === 2 ? '(\\d{2})' : n >= 4 ? '([+-]?\\d{4,9})' : '([+-]?\\d{1,9})';
        break;
      case 'M':
      case 'L':
        part = n >= 3 ? '([A-Za-z]+)' : n === 2 ? '(\\d{2})' : '(\\d{1,2})';
        break;
      case 'd':
      case 'H':
      case 'h':
      case 'K':
      case 'k':
      case 'm':
      case 's':
        part = n === 2 ? '(\\d{2})' : '(\\d{1,2})';
        break;
      case 'S':
        part = `(\\d{${n}})`;
        break;
      case 'a':
        part = '([AaPp][Mm])';
        break;
      case 'E':
        part = '([A-Za-z]+)';
        break;
      case 'G':
        part = '(AD|BC)';
        break;
      case 'V':
      case 'z':
        part = ZONE_TEXT;
        break;
      case 'X':
      case 'x':
      case 'Z':
        part = OFFSET_TEXT;
        break;
      default:
        ok = false;
    }
    if (!ok || part === undefined) break;
    source += part;
    fields.push({ letter: t.letter, count: n });
  }
  if (ok) plan = { regex: new RegExp(`${source}$`), fields };
  if (plans.size >= 256) plans.clear();
  plans.set(pattern, plan);
  return plan ?? undefined;
}

function monthFromName(name: string): number | undefined {
  const lower = name.toLowerCase();
  const i = MONTHS.findIndex((m) => m.toLowerCase() === lower || m.slice(0, 3).toLowerCase() === lower);
  return i < 0 ? undefined : i;
}

/**
 * Parses a timestamp string with a java.time pattern into epoch milliseconds (`time_to_epoch`).
 * A string without a zone is read as UTC. Returns `undefined` when the text does not fit the pattern.
 */
export function parseTimeToEpoch(text: string, pattern: string): number | undefined {
  const plan = planFor(pattern);
  if (!plan) return undefined;
  const m = plan.regex.exec(text);
  if (!m) return undefined;
  let year = 1970;
  let month = 0;
  let day = 1;
  let hour = 0;
  let pm: boolean | undefined;
  let minute = 0;
  let second = 0;
  let millis = 0;
  let zone: string | undefined;
  for (let i = 0; i < plan.fields.length; i++) {
    const f = plan.fields[i] as { letter: string; count: number };
    const v = m[i + 1] as string;
    switch (f.letter) {
      case 'y':
      case 'u':
      case 'Y':
        year = f.count === 2 ? 2000 + Number(v) : Number(v);
        break;
      case 'M':
      case 'L': {
        const mm = f.count >= 3 ? monthFromName(v) : Number(v) - 1;
        if (mm === undefined || mm < 0 || mm > 11) return undefined;
        month = mm;
        break;
      }
      case 'd':
        day = Number(v);
        break;
      case 'H':
      case 'k':
        hour = Number(v) % 24;
        break;
      case 'h':
      case 'K':
        hour = Number(v) % 12;
        break;
      case 'a':
        pm = v.toUpperCase() === 'PM';
        break;
      case 'm':
        minute = Number(v);
        break;
      case 's':
        second = Number(v);
        break;
      case 'S':
        millis = Math.round(Number(`0.${v}`) * 1000);
        break;
      case 'V':
      case 'z':
      case 'X':
      case 'x':
      case 'Z':
        zone = v === 'Z' ? 'UTC' : v;
        break;
      default:
        break;
    }
  }
  if (pm !== undefined) hour = (hour % 12) + (pm ? 12 : 0);
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month, day, hour, minute, second, millis);
  if (new Date(local).getUTCDate() !== day) return undefined;
  if (zone === undefined) return local;
  const first = zoneOffset(zone, local);
  if (first === undefined) return undefined;
  const second2 = zoneOffset(zone, local - first) ?? first;
  return local - second2;
}
