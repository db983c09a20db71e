import { ago, duration, figure } from "../../../logic/format";
import { type RunSeed, seedsFor } from "../../../logic/runForm";
import { writtenSnapshots } from "../../../logic/runSummary";
import { hrefFor } from "../../../router";
import type { Checkpoint, Project, StageConfig, TrainingRun } from "../../../types";
import { MetricChips } from "../CheckpointList";

interface Props {
  run: TrainingRun;
  produced: Checkpoint | null;
  project: Project;
  stages: StageConfig[];
}

/** What the run produced: its checkpoint and figures, and the runs that can start from it. */
export function ResultCard({ run, produced, project, stages }: Props) {
  const written = writtenSnapshots(run.result);
  const linked = new Set(["checkpoint", "metrics", ...written.map((w) => w.key)]);
  const summary = Object.entries(run.result).filter(([key, value]) => !linked.has(key) && typeof value === "number");
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
            <span key={key} class="chip">{key.replace(/_/g, " ")} <strong>{figure(value as number)}</strong></span>
          ))}
        </div>
      )}
      {written.length > 0 && (
        <div class="chips" data-testid="run-written-snapshots">
          {written.map(({ key, label, id }) => (
            <a key={key} class="chip" href={hrefFor({ name: "dashboard", projectId: project.id, tab: "data", section: "snapshots" })} data-nav data-testid={`run-written-${key}`}>
              wrote {label} <strong>#{id}</strong>
            </a>
          ))}
        </div>
      )}
      {seeds.length > 0 && <NextRuns seeds={seeds} project={project} />}
    </section>
  );
}

function NextRuns({ seeds, project }: { seeds: RunSeed[]; project: Project }) {
  return (
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
  );
}
