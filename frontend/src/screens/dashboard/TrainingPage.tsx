import { useEffect, useRef, useState } from "preact/hooks";
import { getRun, getTrainingConfigs, listCheckpoints, listRuns, listSnapshots } from "../../api";
import { type RunSeed, rerunSeed, unknownSettings } from "../../logic/runForm";
import { compareFromQuery, toggleSelected, withCompare } from "../../logic/runSummary";
import { hrefFor, navigate } from "../../router";
import type { Checkpoint, Project, Stage, StageConfig, TrainingRun } from "../../types";
import { CheckpointList } from "./CheckpointList";
import { type FormSeed, RunForm } from "./RunForm";
import { ACTIVE, RunList } from "./RunList";
import { RunOverlay } from "./RunOverlay";
import { errorText, type Loaded, usePolled } from "./usePolled";

const LIVE_EVERY_MS = 2_000;
const IDLE_EVERY_MS = 15_000;

/** A seed from the address (?stage=ppo&reward_checkpoint=7), as the run page's buttons link here. */
function seedFromQuery(): FormSeed | null {
  const params = new URLSearchParams(location.search);
  const stage = params.get("stage") as Stage | null;
  if (!stage) return null;
  const id = (key: string) => (params.get(key) ? Number(params.get(key)) : null);
  return { stage, base_checkpoint: id("base_checkpoint"), reward_checkpoint: id("reward_checkpoint") };
}

/** "Run again with these settings" (?rerun=ID, from the run's page): that run, read once, seeds
 * the form; the error says why it could not. */
function useRerun(projectId: number, setSeed: (seed: FormSeed) => void): string {
  const [raw] = useState(() => new URLSearchParams(location.search).get("rerun"));
  const runId = raw !== null && /^[1-9]\d{0,17}$/.test(raw) ? Number(raw) : null;
  const [error, setError] = useState(raw !== null && runId === null ? `"rerun=${raw.slice(0, 40)}" in the address names no run: it takes a run's number.` : "");
  useEffect(() => {
    if (runId === null) return;
    getRun(runId).then(
      (run) => (run.project === projectId ? setSeed(rerunSeed(run)) : setError(`Run #${runId} is not one of this project's runs.`)),
      (e) => setError(`Could not load run #${runId} to run it again: ${errorText(e)}`),
    );
  }, [runId, projectId]);
  return error;
}

const anyActive = (list: TrainingRun[] | null) => (list ?? []).some((run) => ACTIVE.has(run.status));

/** Stage configs, runs (every 2 s while one is live), checkpoints and snapshots. */
function useTrainingData(projectId: number) {
  const [configs] = usePolled(getTrainingConfigs, null, []);
  const [runs, reloadRuns] = usePolled(() => listRuns(projectId), (list) => (anyActive(list) ? LIVE_EVERY_MS : IDLE_EVERY_MS), [projectId]);
  const live = runs.state === "ready" && anyActive(runs.data);
  const [checkpoints, reloadCheckpoints] = usePolled(() => listCheckpoints(projectId), live ? 5_000 : IDLE_EVERY_MS, [projectId]);
  const [snapshots, reloadSnapshots] = usePolled(() => listSnapshots(projectId), null, [projectId]);
  return { configs, runs, live, checkpoints, snapshots, reloadRuns, reloadCheckpoints, reloadSnapshots };
}

/** The most runs one overlay draws: the chart has as many series colours. */
const MAX_OVERLAY = 6;

/** Start runs, follow them live, compare their curves, and pick the checkpoints they leave. */
export function TrainingPage({ project }: { project: Project }) {
  const { configs, runs, live, checkpoints, snapshots, reloadRuns, reloadCheckpoints, reloadSnapshots } = useTrainingData(project.id);
  const [seed, setSeed] = useState<FormSeed | null>(seedFromQuery);
  const rerunError = useRerun(project.id, setSeed);
  const formRef = useRef<HTMLElement>(null);

  const onSeed = (next: RunSeed) => {
    setSeed({ stage: next.stage, base_checkpoint: next.base_checkpoint, reward_checkpoint: next.reward_checkpoint });
    formRef.current?.scrollIntoView({ behavior: "smooth", block: "start" });
  };
  const onCreated = (run: TrainingRun) => {
    reloadRuns();
    reloadSnapshots();
    reloadCheckpoints();
    navigate(hrefFor({ name: "dashboard", projectId: project.id, tab: "training", runId: run.id }));
  };

  const checkpointList = checkpoints.state === "ready" ? checkpoints.data : [];
  const stages = configs.state === "ready" ? configs.data : [];
  return (
    <div class="dash-stack" data-testid="training">
      <section class="card" ref={formRef}>
        <header class="card-head">
          <h2>Start a run</h2>
          <span class="card-note">Settings are checked here and again by the server before anything is queued</span>
        </header>
        {configs.state === "loading" && <div class="skeleton" style={{ height: "200px" }} />}
        {configs.state === "error" && <div class="error-box">Could not load the stage settings: {configs.message}</div>}
        {rerunError && <div class="error-box" role="alert">{rerunError}</div>}
        {seed?.rerun && <RerunNote rerun={seed.rerun} stage={stages.find((s) => s.stage === seed.stage)} />}
        {configs.state === "ready" && (
          <RunForm project={project} stages={stages} checkpoints={checkpointList} seed={seed} onCreated={onCreated}
            snapshots={snapshots.state === "ready" ? snapshots.data : []} />
        )}
      </section>
      <RunsCard runs={runs} live={live} checkpoints={checkpointList} reload={reloadRuns} />
      <CheckpointsCard checkpoints={checkpointList} stages={stages} onSeed={onSeed} />
    </div>
  );
}

/** Whose settings the form holds, that nothing starts until Start, and what could not be carried over. */
function RerunNote({ rerun, stage }: { rerun: NonNullable<FormSeed["rerun"]>; stage: StageConfig | undefined }) {
  const dropped = stage ? unknownSettings(stage.fields, rerun.config) : [];
  return (
    <p class="muted pending-note" data-testid="rerun-note">
      The settings of run #{rerun.run} ({rerun.status}): change what you like; nothing starts until you press Start.
      {dropped.length > 0 && ` Not carried over, as ${stage?.stage} no longer has them: ${dropped.join(", ")}.`}
    </p>
  );
}

function CheckpointsCard(props: { checkpoints: Checkpoint[]; stages: StageConfig[]; onSeed: (seed: RunSeed) => void }) {
  return (
    <section class="card">
      <header class="card-head">
        <h2>Checkpoints</h2>
        <span class="card-note">Each can seed the next stage or a generate run</span>
      </header>
      <CheckpointList {...props} />
    </section>
  );
}

/** The ticked runs, kept in the address (?compare=3,5) so an overlay can be shared and survives a reload. */
function useCompared(): [number[], (update: (current: number[]) => number[]) => void] {
  const [selected, setSelected] = useState<number[]>(() => compareFromQuery(location.search, MAX_OVERLAY));
  const update = (change: (current: number[]) => number[]) => {
    const next = change(selected);
    setSelected(next);
    history.replaceState(history.state, "", location.pathname + withCompare(location.search, next));
  };
  return [selected, update];
}

interface RunsCardProps {
  runs: Loaded<TrainingRun[]>;
  live: boolean;
  checkpoints: Checkpoint[];
  reload: () => void;
}

/** The run list, and the overlay of the runs ticked in it. */
function RunsCard({ runs, live, checkpoints, reload }: RunsCardProps) {
  const [selected, setSelected] = useCompared();
  const list = runs.state === "ready" ? runs.data : [];
  const ticked = selected.map((id) => list.find((run) => run.id === id)).filter((run): run is TrainingRun => run !== undefined);
  const note = ticked.length === 1 ? "tick another run to overlay their curves" : live ? "live: updating every 2 s" : "newest first · tick runs to compare their curves";
  return (
    <>
      <section class="card">
        <header class="card-head">
          <h2>Runs</h2>
          <span class="card-note">{note}</span>
        </header>
        {runs.state === "ready" ? (
          <RunList runs={runs.data} checkpoints={checkpoints} onChange={reload} selected={selected} maxSelected={MAX_OVERLAY}
            onSelect={(id, on) => setSelected((current) => toggleSelected(current, id, on, MAX_OVERLAY))} />
        ) : runs.state === "error" ? (
          <div class="error-box">{runs.message}</div>
        ) : (
          <div class="skeleton" style={{ height: "80px" }} />
        )}
      </section>
      {ticked.length >= 2 && <RunOverlay runs={ticked} onClear={() => setSelected(() => [])} />}
    </>
  );
}
