import { useEffect, useRef, useState } from "preact/hooks";
import { getRunMetrics } from "../../api";
import { LineChart } from "../../components/charts/LineChart";
import { lastStep, mergeMetrics } from "../../logic/metricsSeries";
import { overlayDefault, overlayMetrics, overlayMissing, overlaySeries } from "../../logic/runSummary";
import type { RunMetric, TrainingRun } from "../../types";
import { errorText } from "./usePolled";

/**
 * The selected runs' metrics, each fetched once and then only the steps it lacks (`?after=`)
 * when the list shows it further on; the list's own polling sets the pace.
 */
function useRunsMetrics(runs: TrainingRun[]): [Map<number, RunMetric[]>, string] {
  const held = useRef(new Map<number, RunMetric[]>());
  const [, setVersion] = useState(0);
  const [error, setError] = useState("");
  const wanted = runs.map((run) => `${run.id}:${run.progress_step}:${run.status}`).join(",");
  useEffect(() => {
    let stopped = false;
    const stale = runs.filter((run) => {
      const metrics = held.current.get(run.id);
      return metrics === undefined || lastStep(metrics) < run.progress_step || run.status === "running";
    });
    Promise.all(stale.map(async (run) => [run.id, await getRunMetrics(run.id, lastStep(held.current.get(run.id) ?? []))] as const))
      .then((fetched) => {
        if (stopped) return;
        for (const [id, fresh] of fetched) held.current.set(id, mergeMetrics(held.current.get(id) ?? [], fresh));
        setError("");
        setVersion((n) => n + 1);
      })
      .catch((e) => !stopped && setError(errorText(e)));
    return () => void (stopped = true);
  }, [wanted]);
  return [held.current, error];
}

/** The ticked runs' curves of one metric on one chart, a colour and a legend entry per run. */
export function RunOverlay({ runs, onClear }: { runs: TrainingRun[]; onClear: () => void }) {
  const [metricsByRun, error] = useRunsMetrics(runs);
  const held = runs.map((run) => metricsByRun.get(run.id) ?? []);
  const choices = overlayMetrics(held);
  // null until the admin picks one: the default follows the runs' metrics as they arrive
  const [chosen, setChosen] = useState<string | null>(null);
  const metric = chosen !== null && choices.includes(chosen) ? chosen : (overlayDefault(held) ?? "");
  const series = overlaySeries(runs, metricsByRun, metric);
  const missing = metric ? overlayMissing(runs, metricsByRun, metric) : null;
  return (
    <section class="card" data-testid="run-overlay">
      <header class="card-head">
        <h2>Compare runs</h2>
        <span class="card-note">{runs.map((run) => `#${run.id}`).join(", ")} on shared axes</span>
      </header>
      <div class="overlay-controls">
        <label class="field">
          <span>Metric</span>
          <select value={metric} data-testid="overlay-metric" onChange={(e) => setChosen((e.currentTarget as HTMLSelectElement).value)}>
            {choices.map((key) => <option key={key} value={key}>{key.replace(/_/g, " ")}</option>)}
          </select>
        </label>
        <button class="btn btn-ghost btn-sm" type="button" onClick={onClear} data-testid="overlay-clear">Clear selection</button>
      </div>
      {error && <div class="error-box" role="alert">{error}</div>}
      {missing && series.length > 0 && <p class="muted small" data-testid="overlay-missing">{missing}</p>}
      {series.length === 0 ? (
        <p class="muted pending-note">{choices.length ? "None of these runs recorded this metric." : "These runs recorded no metrics yet."}</p>
      ) : (
        <div class="overlay-chart">
          <LineChart title={metric.replace(/_/g, " ")} series={series} share={metric.includes("accuracy")} height={200} testId="overlay-chart" />
        </div>
      )}
    </section>
  );
}
