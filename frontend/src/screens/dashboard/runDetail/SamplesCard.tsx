import { useEffect, useState } from "preact/hooks";
import { getRunSamples } from "../../../api";
import { figure } from "../../../logic/format";
import type { RunSample, RunSamples, TrainingRun } from "../../../types";
import { errorText } from "../usePolled";

const NONE: RunSamples = { steps: [], step: null, samples: [] };

/** The samples of the chosen step (null: the newest, read again as the run advances). */
function useRunSamples(run: TrainingRun, chosen: number | null): [RunSamples, string] {
  const [samples, setSamples] = useState<RunSamples>(NONE);
  const [error, setError] = useState("");
  const progress = chosen === null ? run.progress_step : -1; // a chosen step never changes
  useEffect(() => {
    let stopped = false;
    getRunSamples(run.id, chosen)
      .then((fresh) => {
        if (stopped) return;
        setSamples(fresh);
        setError("");
      })
      .catch((e) => !stopped && setError(errorText(e)));
    return () => {
      stopped = true;
    };
  }, [run.id, chosen, progress, run.status]);
  return [samples, error];
}

/** A few responses the run sampled per logging step, with their scores: a step at a time. */
export function SamplesCard({ run }: { run: TrainingRun }) {
  const [chosen, setChosen] = useState<number | null>(null);
  const [{ steps, step, samples }, error] = useRunSamples(run, chosen);
  if (steps.length === 0 && !error) return null; // reward, KTO, generate: nothing is sampled
  return (
    <section class="card" data-testid="run-samples">
      <header class="card-head">
        <h2>Samples</h2>
        <label class="card-note">
          Step{" "}
          <select
            value={chosen === null ? "" : String(chosen)}
            data-testid="samples-step"
            onChange={(e) => {
              const value = (e.currentTarget as HTMLSelectElement).value;
              setChosen(value === "" ? null : Number(value));
            }}
          >
            <option value="">newest{step !== null && chosen === null ? ` (${step})` : ""}</option>
            {steps.map((s) => <option key={s} value={String(s)}>{s}</option>)}
          </select>
        </label>
      </header>
      {error && <div class="error-box" role="alert">{error}</div>}
      {samples.map((sample) => <SampleItem key={`${sample.step}-${sample.index}`} sample={sample} />)}
    </section>
  );
}

/** One prompt and response (untrusted text: rendered as text, never as markup) and its score. */
function SampleItem({ sample }: { sample: RunSample }) {
  return (
    <article class="run-sample" style={{ display: "grid", gap: "4px", marginTop: "12px" }} data-testid="run-sample">
      <div class="chips">
        {sample.score !== null && <span class="chip">score <strong>{figure(sample.score)}</strong></span>}
        {sample.truncated === true && <span class="chip" title="Cut at max_new_tokens before it ended">truncated</span>}
      </div>
      <div class="muted small">Prompt</div>
      <pre class="log" data-testid="sample-prompt">{sample.prompt}</pre>
      <div class="muted small">Response</div>
      <pre class="log" data-testid="sample-response">{sample.response}</pre>
    </article>
  );
}
