import { useState } from "preact/hooks";
import { ago } from "../../logic/format";
import type { FlaggedItem } from "../../types";
import { errorText } from "./usePolled";

export const REASON_LABELS: Record<string, string> = {
  unsafe: "Unsafe",
  both_bad: "All bad",
  broken_prompt: "Broken prompt",
  other: "Other",
};

interface Props {
  items: FlaggedItem[];
  /** Mark a flag resolved (it then leaves the list when the overview reloads). */
  onResolve: (flagId: number) => Promise<unknown>;
}

/** The newest unresolved flags. Notes and prompts are user text: JSX escapes them. */
export function FlaggedItems({ items, onResolve }: Props) {
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState("");
  if (items.length === 0) return <p class="muted pending-note">Nothing flagged. Annotators flag broken or unsafe items with F.</p>;

  const resolve = async (flagId: number) => {
    setBusy(flagId);
    setError("");
    try {
      await onResolve(flagId);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      {error && <div class="error-box" role="alert">{error}</div>}
      <ul class="flag-list" data-testid="flagged">
        {items.map((item) => (
          <li key={item.id} class="flag-item" data-testid={`flag-${item.id}`}>
            <span class={`chip reason-${item.reason}`}>{REASON_LABELS[item.reason] ?? item.reason}</span>
            <div class="flag-main">
              <div class="flag-prompt">{item.prompt_excerpt || <span class="muted">(empty prompt)</span>}</div>
              {item.note && <div class="flagged-note">“{item.note}”</div>}
            </div>
            <div class="flag-meta">
              <span>comparison #{item.comparison}</span>
              <span>
                {item.annotator} · {ago(item.created_at)}
              </span>
              <button
                class="btn btn-sm"
                type="button"
                disabled={busy !== null}
                onClick={() => resolve(item.id)}
                data-testid={`flag-resolve-${item.id}`}
              >
                {busy === item.id ? "Resolving…" : "Resolve"}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}
