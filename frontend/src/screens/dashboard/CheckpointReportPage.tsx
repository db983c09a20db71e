import { getCheckpointReport } from "../../api";
import { count, percent } from "../../logic/format";
import { hrefFor } from "../../router";
import type { CheckpointReport, Project } from "../../types";
import "../../styles/rewardReport.css";
import { AgreementCard } from "./checkpointReport/AgreementCard";
import { AccuracyCard, CalibrationCard, LengthBiasCard } from "./checkpointReport/ReportCards";
import { usePolled } from "./usePolled";

const LIVE_EVERY_MS = 3_000;

/** A reward checkpoint's report (issue #18): accuracy with intervals overall and per group,
 * calibration, length bias, and agreement with the project's people once it has judged. */
export function CheckpointReportPage({ project, checkpointId }: { project: Project; checkpointId: number }) {
  const judging = (data: CheckpointReport | null) => data?.judge_run_status === "queued" || data?.judge_run_status === "running";
  const [loaded, reload] = usePolled(() => getCheckpointReport(checkpointId), (data) => (judging(data) ? LIVE_EVERY_MS : null), [checkpointId]);
  return (
    <div class="dash-stack" data-testid="checkpoint-report">
      <a class="back-link" href={hrefFor({ name: "dashboard", projectId: project.id, tab: "training" })} data-nav>
        ← Training
      </a>
      {loaded.state === "loading" && <div class="skeleton" style={{ height: "240px" }} />}
      {loaded.state === "error" && <div class="error-box">Could not load checkpoint #{checkpointId}: {loaded.message}</div>}
      {loaded.state === "ready" && <Report project={project} data={loaded.data} reload={reload} />}
    </div>
  );
}

function Report({ project, data, reload }: { project: Project; data: CheckpointReport; reload: () => void }) {
  const { checkpoint, report } = data;
  return (
    <>
      <section class="card">
        <header class="card-head">
          <h2>
            <span class="mono" data-testid="report-checkpoint-name">{checkpoint.name}</span>{" "}
            <span class={`stage-badge kind-${checkpoint.kind}`}>{checkpoint.kind}</span>
          </h2>
          {checkpoint.run !== null && (
            <a class="small" href={hrefFor({ name: "dashboard", projectId: project.id, tab: "training", runId: checkpoint.run })} data-nav>
              from run #{checkpoint.run}
            </a>
          )}
        </header>
        {report ? (
          <p class="muted" data-testid="report-scope">
            Scored on {count(report.overall.count)} {report.split === "validation" ? "validation pairs of its run (held out from training)" : `pairs of ${report.split}`};
            overall accuracy {percent(report.overall.accuracy, 1)}.
          </p>
        ) : (
          <NoReport kind={checkpoint.kind} id={checkpoint.id} />
        )}
      </section>
      {report && <AccuracyCard report={report} />}
      {report && <CalibrationCard report={report} />}
      {report && <LengthBiasCard report={report} />}
      {checkpoint.kind === "reward" && <AgreementCard project={project} data={data} onStarted={reload} />}
    </>
  );
}

function NoReport({ kind, id }: { kind: string; id: number }) {
  if (kind !== "reward") {
    return <p class="muted" data-testid="report-empty">Reports are for reward models; this checkpoint is a {kind} model.</p>;
  }
  return (
    <div class="report-empty" data-testid="report-empty">
      <p>
        <strong>No report yet.</strong> A reward run writes one when it finishes, from its validation pairs; this checkpoint's run had
        none (too few prompts to hold some out), or the checkpoint was registered by hand.
      </p>
      <p class="muted">
        To make one from a file of labelled pairs, on the server:{" "}
        <code>manage.py evaluate_reward --checkpoint {id} --data pairs.jsonl --format trl --save</code>
      </p>
    </div>
  );
}
