import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, cancelRun, getRun, getRunMetrics, getTrainingConfigs, listCheckpoints, loginUrl } from "../../api";
import { LineChart } from "../../components/charts/LineChart";
import { ago, duration } from "../../logic/format";
import { lastStep, mergeMetrics, metricPanels, seriesPoints } from "../../logic/metricsSeries";
import { seedsFor } from "../../logic/runForm";
import { hrefFor } from "../../router";
import type { Checkpoint, Project, RunMetric, StageConfig, TrainingRun } from "../../types";
import { MetricChips } from "./CheckpointList";
import { ACTIVE, RunProgress, StatusPill, baseLabel, runDuration } from "./RunList";
import { errorText } from "./usePolled";

const LIVE_EVERY_MS = 1_500;

interface Live {
  run: TrainingRun | null;
  metrics: RunMetric[];
  error: string;
}

/**
 * Polls the run and only the metrics it lacks (`?after=` the last step held), so the curves
 * grow in place without a reload; stops once the run has finished and its last steps are in.
 */
function useLiveRun(runId: number): [Live, () => void] {
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

/** One run: status and progress, live curves, the log tail, cancel, and what it produced. */
export function RunDetail({ project, runId }: { project: Project; runId: number }) {
  const [{ run, metrics, error }, restart] = useLiveRun(runId);
  const [checkpoints, setCheckpoints] = useState<Checkpoint[]>([]);
  const [stages, setStages] = useState<StageConfig[]>([]);
  const [cancelError, setCancelError] = useState("");
  const status = run?.status;

  useEffect(() => {
    getTrainingConfigs().then(setStages).catch(() => undefined);
  }, []);

  useEffect(() => {
    listCheckpoints(project.id).then(setCheckpoints).catch(() => undefined);
  }, [project.id, status]);

  if (!run) {
    return error ? <div class="error-box">Could not load run #{runId}: {error}</div> : <div class="skeleton" style={{ height: "240px" }} />;
  }
  const cancel = async () => {
    try {
      await cancelRun(run.id);
      setCancelError("");
    } catch (e) {
      setCancelError(errorText(e));
    }
    restart();
  };
  const produced = checkpoints.find((c) => c.run === run.id) ?? null;
  const panels = metricPanels(metrics);

  return (
    <div class="dash-stack" data-testid="run-detail">
      <a class="back-link" href={hrefFor({ name: "dashboard", projectId: project.id, tab: "training" })} data-nav>
        ← All runs
      </a>
      <section class="card run-head">
        <div class="run-title">
          <h2>
            Run #{run.id} <span class={`stage-badge stage-${run.stage}`}>{run.stage}</span>
          </h2>
          <StatusPill run={run} />
          <div class="topbar-spacer" />
          {ACTIVE.has(run.status) && !run.cancel_requested && (
            <button class="btn" onClick={cancel} data-testid="run-cancel">Cancel run</button>
          )}
        </div>
        <RunProgress run={run} />
        {cancelError && <div class="error-box" role="alert">{cancelError}</div>}
        <dl class="facts">
          <div><dt>From</dt><dd class="mono" title={run.base_model}>{baseLabel(run, checkpoints)}</dd></div>
          {run.reward_checkpoint !== null && (
            <div><dt>Reward model</dt><dd class="mono">{checkpoints.find((c) => c.id === run.reward_checkpoint)?.name ?? `#${run.reward_checkpoint}`}</dd></div>
          )}
          <div><dt>Data</dt><dd>{run.snapshot !== null ? `snapshot #${run.snapshot}` : run.stage === "generate" ? "project prompts" : "snapshot when it starts"}</dd></div>
          <div><dt>Created</dt><dd>{ago(run.created_at)}</dd></div>
          <div><dt>Took</dt><dd>{runDuration(run)}</dd></div>
          <div><dt>Worker</dt><dd class="mono">{run.worker || "—"}</dd></div>
          {run.heartbeat_at && ACTIVE.has(run.status) && <div><dt>Last heartbeat</dt><dd>{ago(run.heartbeat_at)}</dd></div>}
          {run.attempts > 1 && (
            <div data-testid="run-attempts">
              <dt>Attempts</dt>
              <dd>{run.attempts}{run.resumed_from_step !== null ? ` · resumed at step ${run.resumed_from_step}` : " · restarted at step 0"}</dd>
            </div>
          )}
        </dl>
        <details class="config-details">
          <summary>Settings</summary>
          <div class="chips">
            {Object.entries(run.config).map(([key, value]) => (
              <span key={key} class="chip">{key} <strong>{value === null ? "none" : String(value)}</strong></span>
            ))}
          </div>
        </details>
      </section>

      {run.warnings.length > 0 && (
        <section class="card kpi-alert" data-testid="run-warnings">
          <header class="card-head"><h2>Read with care</h2></header>
          <ul>{run.warnings.map((warning) => <li key={warning} class="reason-note">{warning}</li>)}</ul>
        </section>
      )}

      {run.status === "failed" && run.error && (
        <section class="card">
          <header class="card-head"><h2>Why it failed</h2></header>
          <pre class="log error-log">{run.error}</pre>
        </section>
      )}

      {(produced || Object.keys(run.result).length > 0) && <ResultCard run={run} produced={produced} project={project} stages={stages} />}

      <section class="card">
        <header class="card-head">
          <h2>Curves</h2>
          <span class="card-note">
            {metrics.length ? `${metrics.length} steps${ACTIVE.has(run.status) ? " · live" : ""}` : ACTIVE.has(run.status) ? "waiting for the first step" : "no metrics recorded"}
          </span>
        </header>
        {panels.length === 0 ? (
          <p class="muted pending-note">{ACTIVE.has(run.status) ? "The curves start with the first optimizer step." : "This run recorded no metrics."}</p>
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

      <section class="card">
        <header class="card-head">
          <h2>Log</h2>
          <span class="card-note">the last lines the worker logged</span>
        </header>
        <LogTail text={run.log_tail} />
      </section>
    </div>
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

function ResultCard({ run, produced, project, stages }: { run: TrainingRun; produced: Checkpoint | null; project: Project; stages: StageConfig[] }) {
  const summary = Object.entries(run.result).filter(([key, value]) => key !== "checkpoint" && key !== "metrics" && typeof value === "number");
  const seeds = produced ? seedsFor(produced, stages) : [];
  return (
    <section class="card result-card" data-testid="run-result">
      <header class="card-head">
        <h2>Result</h2>
        {run.finished_at && run.started_at && (
          <span class="card-note">finished {ago(run.finished_at)} after {duration((Date.parse(run.finished_at) - Date.parse(run.started_at)) / 1000)}</span>
        )}
      </header>
      {produced && (
        <div class="result-row">
          <div>
            <div class="muted small">Checkpoint</div>
            <div class="mono">{produced.name}</div>
          </div>
          <MetricChips metrics={produced.metrics} />
        </div>
      )}
      {summary.length > 0 && (
        <div class="chips">
          {summary.map(([key, value]) => (
            <span key={key} class="chip">{key.replace(/_/g, " ")} <strong>{Number.isInteger(value) ? String(value) : (value as number).toPrecision(3)}</strong></span>
          ))}
        </div>
      )}
      {seeds.length > 0 && (
        <div class="form-actions">
          <span class="muted small">Next:</span>
          {seeds.slice(0, 3).map((seed) => {
            const query = new URLSearchParams({ stage: seed.stage });
            if (seed.base_checkpoint !== null) query.set("base_checkpoint", String(seed.base_checkpoint));
            if (seed.reward_checkpoint !== null) query.set("reward_checkpoint", String(seed.reward_checkpoint));
            return (
              <a key={seed.label} class="btn btn-sm" href={`${hrefFor({ name: "dashboard", projectId: project.id, tab: "training" })}?${query}`} data-nav>
                {seed.label}
              </a>
            );
          })}
        </div>
      )}
    </section>
  );
}
