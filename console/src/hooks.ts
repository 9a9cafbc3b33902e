/** Routing by the URL's hash (the broker serves one page) and polling the API while the tab is visible. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export interface Route {
  /** Path segments after `#/`, decoded: `#/topics/orders` → ['topics', 'orders']. */
  parts: string[];
  query: URLSearchParams;
}

function parseHash(): Route {
  const [path = '', search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const update = () => setRoute(parseHash());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function href(parts: Array<string | number>, query: Record<string, string | number | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return `#/${parts.map((part) => encodeURIComponent(String(part))).join('/')}${text ? `?${text}` : ''}`;
}

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  reload: () => void;
}

/**
 * Loads now and every `intervalMs` (0: once) while the tab is visible; a reload after an action
 * shows its effect at once. A load still running when the next is due is not doubled.
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: unknown[]): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const running = useRef(false);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  useEffect(() => {
    setData(undefined);
    setError(undefined);
  }, deps);
  useEffect(() => {
    const abort = new AbortController();
    const run = async () => {
      if (running.current || document.hidden) return;
      running.current = true;
      try {
        const value = await load(abort.signal);
        if (!abort.signal.aborted) {
          setData(value);
          setError(undefined);
        }
      } catch (caught) {
        if (!abort.signal.aborted) setError(caught as Error);
      } finally {
        running.current = false;
      }
    };
    void run();
    const timer = intervalMs > 0 ? setInterval(run, intervalMs) : undefined;
    return () => {
      abort.abort();
      running.current = false;
      clearInterval(timer);
    };
  }, [...deps, tick]);
  return { data, error, reload };
}
