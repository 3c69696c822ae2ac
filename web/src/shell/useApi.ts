import { useCallback, useEffect, useRef, useState } from 'react';
import { api, inBackground } from '../api.ts';

export interface ApiState<T> {
  data: T | undefined;
  loading: boolean;
  error: unknown;
  /** Loads again; resolves when done (errors are kept in `error`, not thrown). */
  reload: () => Promise<void>;
  setData: (data: T | undefined) => void;
}

/** GETs `path` (null: nothing yet) and again whenever it changes; the last answer wins. */
export function useApi<T>(path: string | null): ApiState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const [error, setError] = useState<unknown>(undefined);
  const sequence = useRef(0);

  const load = useCallback(async () => {
    if (path === null) return;
    const mine = ++sequence.current;
    setLoading(true);
    try {
      const answer = await api.get<T>(path);
      if (mine === sequence.current) {
        setData(answer);
        setError(undefined);
      }
    } catch (e) {
      if (mine === sequence.current) setError(e);
    } finally {
      if (mine === sequence.current) setLoading(false);
    }
  }, [path]);

  useEffect(() => {
    void load();
    return () => {
      sequence.current++;
    };
  }, [load]);

  return { data, loading, error, reload: load, setData };
}

/** Calls `fn` every `ms` while `active`, skipping a tick while the previous call still runs. */
export function useInterval(fn: () => Promise<unknown> | unknown, ms: number, active: boolean): void {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (!active) return;
    let running = false;
    const id = window.setInterval(async () => {
      if (running || document.hidden) return;
      running = true;
      try {
        await inBackground(() => saved.current());
      } catch {
        // A failed tick is retried by the next one; a 401 has sent the person to login already.
      } finally {
        running = false;
      }
    }, ms);
    return () => window.clearInterval(id);
  }, [ms, active]);
}
