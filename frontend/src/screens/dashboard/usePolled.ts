import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, loginUrl } from "../../api";

export type Loaded<T> =
  | { state: "loading" }
  | { state: "error"; message: string; status?: number }
  | { state: "ready"; data: T };

/** Milliseconds between polls (null: no polling), fixed or chosen from the latest data. */
export type Every<T> = number | null | ((data: T | null) => number | null);

/**
 * `load()` now and then every `every` ms while the tab is visible; `reload()` on demand (after
 * a write). A failed poll keeps the last data: a blip must not blank a dashboard.
 */
export function usePolled<T>(load: () => Promise<T>, every: Every<T>, deps: unknown[]): [Loaded<T>, () => void] {
  const [result, setResult] = useState<Loaded<T>>({ state: "loading" });
  const latest = useRef(load);
  latest.current = load;
  const alive = useRef(true);

  const run = useCallback(() => {
    latest
      .current()
      .then((data) => alive.current && setResult({ state: "ready", data }))
      .catch((error: unknown) => {
        if (!alive.current) return;
        if (error instanceof ApiError && error.isAuth) {
          location.assign(loginUrl());
          return;
        }
        const status = error instanceof ApiError ? error.status : undefined;
        const message = error instanceof Error ? error.message : String(error);
        setResult((previous) => (previous.state === "ready" ? previous : { state: "error", message, status }));
      });
  }, []);

  useEffect(() => {
    alive.current = true;
    setResult({ state: "loading" });
    run();
    return () => void (alive.current = false);
  }, deps);

  const everyMs = typeof every === "function" ? every(result.state === "ready" ? result.data : null) : every;
  useVisibleInterval(run, everyMs);
  return [result, run];
}

/** `run()` every `everyMs` while the tab is visible; null stops. */
function useVisibleInterval(run: () => void, everyMs: number | null): void {
  useEffect(() => {
    if (everyMs === null) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") run();
    }, everyMs);
    return () => clearInterval(timer);
  }, [everyMs, run]);
}

/** A 4xx/5xx's message (a serializer's field errors as "field: message"), or the network failure's. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.body.detail) return error.body.detail;
    const fields = Object.entries(error.body)
      .filter(([key]) => key !== "code")
      .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(" ") : typeof value === "object" ? JSON.stringify(value) : String(value)}`);
    return fields.length ? fields.join("; ") : `HTTP ${error.status}`;
  }
  return error instanceof Error ? error.message : String(error);
}
