import { useEffect, useRef } from "preact/hooks";
import { LineChart } from "../../../components/charts/LineChart";
import { metricPanels, seriesPoints } from "../../../logic/metricsSeries";
import type { RunMetric, TrainingRun } from "../../../types";
import { ACTIVE } from "../RunList";

/** Why the result must not be read as a plain success; nothing when there is no reason. */
export function RunWarnings({ run }: { run: TrainingRun }) {
  if (run.warnings.length === 0) return null;
  return (
    <section class="card kpi-alert" data-testid="run-warnings">
      <header class="card-head"><h2>Read with care</h2></header>
      <ul>{run.warnings.map((warning) => <li key={warning} class="reason-note">{warning}</li>)}</ul>
    </section>
  );
}

export function RunFailure({ run }: { run: TrainingRun }) {
  if (run.status !== "failed" || !run.error) return null;
  return (
    <section class="card">
      <header class="card-head"><h2>Why it failed</h2></header>
      <pre class="log error-log">{run.error}</pre>
    </section>
  );
}

/** The run's metric curves, growing while it runs. */
export function RunCurves({ run, metrics }: { run: TrainingRun; metrics: RunMetric[] }) {
  const active = ACTIVE.has(run.status);
  const panels = metricPanels(metrics);
  return (
    <section class="card">
      <header class="card-head">
        <h2>Curves</h2>
        <span class="card-note">
          {metrics.length ? `${metrics.length} steps${active ? " · live" : ""}` : active ? "waiting for the first step" : "no metrics recorded"}
        </span>
      </header>
      {panels.length === 0 ? (
        <p class="muted pending-note">{active ? "The curves start with the first optimizer step." : "This run recorded no metrics."}</p>
      ) : (
        <div class="chart-grid" data-testid="run-charts">
          {panels.map((panel) => (
            <LineChart
              key={panel.title}
              title={panel.title}
              share={panel.share}
              smooth={panel.smooth}
              series={panel.keys.map((key) => ({ key, label: key.replace(/_/g, " "), points: seriesPoints(metrics, key) }))}
            />
          ))}
        </div>
      )}
    </section>
  );
}

export function RunLog({ run }: { run: TrainingRun }) {
  return (
    <section class="card">
      <header class="card-head">
        <h2>Log</h2>
        <span class="card-note">the last lines the worker logged</span>
      </header>
      <LogTail text={run.log_tail} />
    </section>
  );
}

function LogTail({ text }: { text: string }) {
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const element = ref.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [text]);
  if (!text) return <p class="muted pending-note">Nothing logged yet.</p>;
  return <pre class="log" ref={ref} data-testid="run-log">{text}</pre>;
}
