import type { AlarmCache, CachedAlarm } from '../domain/ports';

/**
 * The alarms a warm function has seen, in its memory, at most `maxEntries` (the least recently used go first), which
 * bounds the memory a function uses for a large fleet.
 */
export class MemoryAlarmCache implements AlarmCache {
  private readonly entries = new Map<string, CachedAlarm>();

  constructor(private readonly maxEntries = 20_000) {}

  get(deviceId: string, metric: string): CachedAlarm | undefined {
    const key = `${deviceId}#${metric}`;
    const entry = this.entries.get(key);
    if (entry) {
      // Map keeps insertion order: moving the entry to the end makes the first one the least recently used.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(deviceId: string, metric: string, alarm: CachedAlarm): void {
    const key = `${deviceId}#${metric}`;
    this.entries.delete(key);
    this.entries.set(key, alarm);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  delete(deviceId: string, metric: string): void {
    this.entries.delete(`${deviceId}#${metric}`);
  }
}
