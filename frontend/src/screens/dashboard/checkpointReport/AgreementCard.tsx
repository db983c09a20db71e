import { useState } from "preact/hooks";
import { createRun, getStats } from "../../../api";
import { judgeEntry } from "../../../logic/rewardReport";
import { hrefFor } from "../../../router";
import type { CheckpointReport, Project } from "../../../types";
import { JudgesCard } from "../JudgesCard";
import { usePolled } from "../usePolled";

const LIVE = new Set(["queued", "running"]);

/** Agreement with the project's human majority beside the people's own agreement: the
 * checkpoint's entry in the project stats' judges, once it has judged the project's comparisons
 * (a judge run); before that, the button that starts one. */
export function AgreementCard({ project, data, onStarted }: { project: Project; data: CheckpointReport; onStarted: () => void }) {
  const annotator = data.judge_annotator;
  const [stats] = usePolled(() => (annotator === null ? Promise.resolve(null) : getStats(project.id)), null, [project.id, annotator]);
  const entry = stats.state === "ready" ? judgeEntry(stats.data?.judges, annotator) : null;
  if (entry) return <JudgesCard judges={[entry]} />;
  return (
    <section class="card" data-testid="report-agreement">
      <header class="card-head">
        <h2>Agreement with people</h2>
        <span class="card-note">The model as a judge of this project's comparisons, against the people's majority and their own agreement</span>
      </header>
      {annotator !== null ? (
        <p class="muted pending-note">{stats.state === "loading" ? "Reading the project's statistics…" : "The project's statistics have not counted this judge's verdicts yet; they refresh shortly."}</p>
      ) : (
        <JudgeAction project={project} data={data} onStarted={onStarted} />
      )}
    </section>
  );
}

function JudgeAction({ project, data, onStarted }: { project: Project; data: CheckpointReport; onStarted: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const live = data.judge_run_status !== null && LIVE.has(data.judge_run_status);
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      await createRun({
        project: project.id, stage: "judge", base_model: "", base_checkpoint: data.checkpoint.id,
        reward_checkpoint: null, snapshot: null, config: { which: "all" },
      });
      onStarted();
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="report-empty" data-testid="report-agreement-empty">
      <p>
        Not measured yet. A judge run scores each of the project's comparisons with this checkpoint and stores the verdicts as a
        judge's judgments (marked as a model's, counted in no human figure); the statistics then set its agreement with the people's
        majority beside the people's agreement with each other.
      </p>
      {data.judge_run !== null && (
        <p class="muted">
          Its last judge run{" "}
          <a href={hrefFor({ name: "dashboard", projectId: project.id, tab: "training", runId: data.judge_run })} data-nav>
            #{data.judge_run}
          </a>{" "}
          is {data.judge_run_status}.
        </p>
      )}
      <button class="btn" onClick={start} disabled={busy || live} data-testid="report-judge-start">
        {live ? "Judging…" : "Judge the project's comparisons"}
      </button>
      {error && <div class="error-box">{error}</div>}
    </div>
  );
}
