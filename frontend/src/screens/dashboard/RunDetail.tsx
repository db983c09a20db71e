import { useEffect, useState } from "preact/hooks";
import { getTrainingConfigs, listCheckpoints } from "../../api";
import { hrefFor } from "../../router";
import type { Checkpoint, Project, StageConfig } from "../../types";
import { ResultCard } from "./runDetail/ResultCard";
import { RunCurves, RunFailure, RunLog, RunWarnings } from "./runDetail/RunCards";
import { RunHead } from "./runDetail/RunHead";
import { SamplesCard } from "./runDetail/SamplesCard";
import { useLiveRun } from "./runDetail/useLiveRun";

/** The project's checkpoints (read again when the run's status changes) and the stages' configs. */
function useRunContext(projectId: number, status: string | undefined) {
  const [checkpoints, setCheckpoints] = useState<Checkpoint[]>([]);
  const [stages, setStages] = useState<StageConfig[]>([]);
  useEffect(() => {
    getTrainingConfigs().then(setStages).catch(() => undefined);
  }, []);
  useEffect(() => {
    listCheckpoints(projectId).then(setCheckpoints).catch(() => undefined);
  }, [projectId, status]);
  return { checkpoints, stages };
}

/** One run: status and progress, live curves, the log tail, cancel, and what it produced. */
export function RunDetail({ project, runId }: { project: Project; runId: number }) {
  const [{ run, metrics, error }, restart] = useLiveRun(runId);
  const { checkpoints, stages } = useRunContext(project.id, run?.status);
  if (!run) {
    return error ? <div class="error-box">Could not load run #{runId}: {error}</div> : <div class="skeleton" style={{ height: "240px" }} />;
  }
  const produced = checkpoints.find((c) => c.run === run.id) ?? null;
  return (
    <div class="dash-stack" data-testid="run-detail">
      <a class="back-link" href={hrefFor({ name: "dashboard", projectId: project.id, tab: "training" })} data-nav>
        ← All runs
      </a>
      <RunHead run={run} checkpoints={checkpoints} restart={restart} />
      <RunWarnings run={run} />
      <RunFailure run={run} />
      {(produced || Object.keys(run.result).length > 0) && <ResultCard run={run} produced={produced} project={project} stages={stages} />}
      <RunCurves run={run} metrics={metrics} />
      <SamplesCard run={run} />
      <RunLog run={run} />
    </div>
  );
}
