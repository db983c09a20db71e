// Gold on one comparison's page: the answer it is scored by, and making it gold (a winner picked
// here in a pairwise project, or the verdict of a judgment below) or taking gold back.

import { useState } from "preact/hooks";
import { clearGold, setGold } from "../../api";
import { goldText } from "../../logic/comparisonDetail";
import type { ComparisonDetail, GoldAnswer, Project } from "../../types";
import { errorText } from "./usePolled";

/** Sending a gold change, one at a time; the page reloads after each. */
export function useGold(project: Project, comparison: ComparisonDetail, reload: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const send = async (call: () => Promise<ComparisonDetail>) => {
    setBusy(true);
    setError("");
    try {
      await call();
      reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return {
    busy,
    error,
    make: (answer: GoldAnswer) => send(() => setGold(project.id, comparison.id, answer)),
    takeBack: () => send(() => clearGold(project.id, comparison.id)),
  };
}

export function GoldControl({ project, comparison, gold }: { project: Project; comparison: ComparisonDetail; gold: ReturnType<typeof useGold> }) {
  const rate = `${Math.round(project.gold_rate * 100)}%`;
  return (
    <div class="gold-bar" data-testid="gold-bar">
      {gold.error && <div class="error-box" role="alert">{gold.error}</div>}
      {comparison.is_gold ? (
        <>
          <span>
            Gold, answer <strong data-testid="gold-answer">{goldText(comparison.gold_answer)}</strong>:{" "}
            {project.gold_rate > 0
              ? `served to every annotator (${rate} of what they are served), and their gold accuracy is scored against it.`
              : "not served while the project's gold share is 0 (Settings); judgments on it are scored against it."}
          </span>
          <button class="btn btn-sm" type="button" disabled={gold.busy} onClick={gold.takeBack} data-testid="gold-clear">
            Take gold back
          </button>
        </>
      ) : (
        <>
          <span class="muted">Make it gold, with the answer</span>
          {project.task_type === "pairwise" &&
            (["a", "b", ...(project.allow_ties ? ["tie"] as const : [])] as const).map((winner) => (
              <button key={winner} class="btn btn-sm" type="button" disabled={gold.busy} onClick={() => gold.make({ winner })} data-testid={`gold-set-${winner}`}>
                {winner === "tie" ? "Tie" : `${winner.toUpperCase()} better`}
              </button>
            ))}
          <span class="muted">{project.task_type === "pairwise" ? "or" : ""} a judgment's verdict below.</span>
        </>
      )}
    </div>
  );
}
