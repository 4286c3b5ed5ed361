import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** When the data was last fetched successfully. */
  updatedAt: number | undefined;
  /** Fetches again now (after a change the user made). */
  refresh: () => void;
}

/**
 * Calls `load` now and every `intervalMs` while the page is visible, keeping the last good answer when a call fails.
 * A new `key` starts over (another device); an answer to an older key is dropped.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, key: string): Polled<T> {
  const [state, setState] = useState<{ key: string; data?: T; error?: string; updatedAt?: number }>({ key });
  const loadRef = useRef(load);
  loadRef.current = load;
  const tick = useRef<() => void>(() => {});

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    setState({ key });
    const run = async () => {
      if (stopped || running) return;
      running = true;
      clearTimeout(timer);
      try {
        const data = await loadRef.current();
        if (!stopped) setState({ key, data, updatedAt: Date.now() });
      } catch (error) {
        if (!stopped) {
          setState((previous) => ({
            ...(previous.key === key ? previous : { key }),
            error: error instanceof Error ? error.message : String(error),
          }));
        }
      } finally {
        running = false;
        if (!stopped && document.visibilityState !== 'hidden') timer = setTimeout(run, intervalMs);
      }
    };
    tick.current = () => void run();
    const onVisible = () => {
      if (document.visibilityState === 'visible') void run();
    };
    document.addEventListener('visibilitychange', onVisible);
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [key, intervalMs]);

  const refresh = useCallback(() => tick.current(), []);
  const current = state.key === key ? state : { key };
  return { data: current.data, error: current.error, updatedAt: current.updatedAt, refresh };
}
