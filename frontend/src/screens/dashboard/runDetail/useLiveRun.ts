import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, getRun, getRunMetrics, loginUrl } from "../../../api";
import { lastStep, mergeMetrics } from "../../../logic/metricsSeries";
import type { RunMetric, TrainingRun } from "../../../types";
import { ACTIVE } from "../RunList";
import { errorText } from "../usePolled";

const LIVE_EVERY_MS = 1_500;

export interface Live {
  run: TrainingRun | null;
  metrics: RunMetric[];
  error: string;
}

/**
 * Polls the run and only the metrics it lacks (`?after=` the last step held), so the curves
 * grow in place without a reload; stops once the run has finished and its last steps are in.
 */
export function useLiveRun(runId: number): [Live, () => void] {
  const [live, setLive] = useState<Live>({ run: null, metrics: [], error: "" });
  const metrics = useRef<RunMetric[]>([]);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    metrics.current = [];
    const poll = async () => {
      try {
        const run = await getRun(runId);
        const fresh = await getRunMetrics(runId, lastStep(metrics.current));
        if (stopped) return;
        metrics.current = mergeMetrics(metrics.current, fresh);
        setLive({ run, metrics: metrics.current, error: "" });
        if (ACTIVE.has(run.status)) timer = setTimeout(poll, LIVE_EVERY_MS);
      } catch (error) {
        if (stopped) return;
        if (error instanceof ApiError && error.isAuth) return location.assign(loginUrl());
        setLive((previous) => ({ ...previous, error: errorText(error) }));
        timer = setTimeout(poll, LIVE_EVERY_MS * 4);
      }
    };
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [runId, tick]);

  return [live, () => setTick((n) => n + 1)];
}

