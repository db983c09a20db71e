import { useLayoutEffect } from "preact/hooks";
import { OVERALL } from "../../generated/constants";
import type { Project } from "../../types";
import { type LastAction, undoableUntil } from "../../logic/sessionHistory";
import { rankingText } from "../../logic/ranking";
import { Kbd } from "../../components/Kbd";
import { useDialogFocus } from "./useDialogFocus";

interface Props {
  history: LastAction[];
  project: Project;
  onReopen: (entry: LastAction) => void;
  onClose: () => void;
}

/** H or Esc closes the panel. */
function useCloseKeys(onClose: () => void): void {
  useLayoutEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Escape" && event.key.toLowerCase() !== "h") return;
      event.preventDefault();
      onClose();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onClose]);
}

/** The last comparisons handled, newest first; any still in its edit window can be reopened (or, for a
 * flag, withdrawn). A modal dialog: focus moves in, Tab stays inside, H or Esc closes it and focus
 * goes back where it was. */
export function HistoryPanel({ history, project, onReopen, onClose }: Props) {
  useCloseKeys(onClose);
  const dialog = useDialogFocus<HTMLDivElement>();
  const now = Date.now();
  return (
    <div class="overlay" onClick={(event) => event.target === event.currentTarget && onClose()}>
      <div class="dialog history-dialog" role="dialog" aria-modal="true" aria-labelledby="history-title" tabIndex={-1} ref={dialog} data-testid="history">
        <h2 id="history-title">Recently handled</h2>
        {history.length === 0 ? (
          <p class="muted">Nothing yet in this session.</p>
        ) : (
          <ol class="history-list">
            {history.map((entry, index) => (
              <HistoryRow key={`${entry.kind}-${entry.comparison.id}-${index}`} entry={entry} project={project} left={undoableUntil(entry) - now} onReopen={onReopen} />
            ))}
          </ol>
        )}
        <p class="help-foot">A judgment or skip stays open to change for 10 minutes. <kbd>H</kbd> or <kbd>Esc</kbd> closes this.</p>
        <div class="dialog-actions">
          <button type="button" class="btn btn-ghost" onClick={onClose} data-testid="history-close">Close <Kbd k="Esc" /></button>
        </div>
      </div>
    </div>
  );
}

interface RowProps {
  entry: LastAction;
  project: Project;
  /** Milliseconds left in its edit window. */
  left: number;
  onReopen: (entry: LastAction) => void;
}

function HistoryRow({ entry, project, left, onReopen }: RowProps) {
  return (
    <li class="history-row" data-testid={`history-${entry.comparison.id}`}>
      <span class="history-what">
        <strong>#{entry.comparison.id}</strong> {describe(entry, project)}
      </span>
      {left > 0 ? (
        <button type="button" class="btn btn-sm" onClick={() => onReopen(entry)}>
          {entry.kind === "flag" ? "Withdraw flag" : "Reopen"}
          <span class="muted">{Number.isFinite(left) ? ` · ${Math.ceil(left / 60_000)} min left` : ""}</span>
        </button>
      ) : (
        <span class="muted">final</span>
      )}
    </li>
  );
}

function describe(entry: LastAction, project: Project): string {
  if (entry.kind === "flag") return "flagged";
  if (entry.kind === "skip") return entry.reason ? "flagged and skipped" : "skipped";
  if (entry.draft.config.comparisonKind === "ranking") return `ranked ${rankingText(entry.draft.rankings[OVERALL], entry.draft.tied[OVERALL])}`;
  const { winner, strength } = entry.draft.verdicts[OVERALL];
  if (winner === "tie") return "judged a tie";
  const how = strength ? `, ${project.strength_scale[strength - 1]}` : "";
  return `judged ${String(winner).toUpperCase()} better${how}`;
}
