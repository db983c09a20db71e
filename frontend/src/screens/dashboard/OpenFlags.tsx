import { useState } from "preact/hooks";
import { ago } from "../../logic/format";
import { hrefFor } from "../../router";
import type { OpenFlag } from "../../types";
import { errorText } from "./usePolled";

export const REASON_LABELS: Record<string, string> = {
  unsafe: "Unsafe",
  both_bad: "All bad",
  broken_prompt: "Broken prompt",
  other: "Other",
};

interface Props {
  projectId: number;
  flags: OpenFlag[];
  /** Mark a flag resolved (it then leaves the list when the overview reloads). */
  onResolve: (flagId: number) => Promise<unknown>;
}

/** Resolve one flag at a time; the flag being resolved and the last failure (also the comparison page's). */
export function useResolve(onResolve: Props["onResolve"]) {
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState("");
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
  return { busy, error, resolve };
}

/** The newest unresolved flags. Notes and prompts are user text: JSX escapes them. */
export function OpenFlags({ projectId, flags, onResolve }: Props) {
  const { busy, error, resolve } = useResolve(onResolve);
  if (flags.length === 0) return <p class="muted pending-note">Nothing flagged. Annotators flag broken or unsafe comparisons with F.</p>;
  return (
    <>
      {error && <div class="error-box" role="alert">{error}</div>}
      <ul class="flag-list" data-testid="flagged">
        {flags.map((flag) => <FlagItem key={flag.id} projectId={projectId} flag={flag} busy={busy} resolve={resolve} />)}
      </ul>
    </>
  );
}

interface ItemProps {
  projectId: number;
  flag: OpenFlag;
  busy: number | null;
  resolve: (flagId: number) => void;
}

/** One flag; its comparison opens whole (responses, models, judgments) on a page of its own. */
function FlagItem({ projectId, flag, busy, resolve }: ItemProps) {
  const href = hrefFor({ name: "dashboard", projectId, tab: "overview", comparisonId: flag.comparison });
  return (
    <li class="flag-item" data-testid={`flag-${flag.id}`}>
      <span class={`chip reason-${flag.reason}`}>{REASON_LABELS[flag.reason] ?? flag.reason}</span>
      <div class="flag-main">
        <div class="flag-prompt">{flag.prompt_excerpt || <span class="muted">(empty prompt)</span>}</div>
        {flag.note && <div class="flagged-note">“{flag.note}”</div>}
      </div>
      <div class="flag-meta">
        <a href={href} data-nav data-testid={`flag-open-${flag.id}`} title="Open the comparison with its responses and judgments">
          comparison #{flag.comparison}
        </a>
        <span>
          {flag.annotator} · {ago(flag.created_at)}
        </span>
        <button
          class="btn btn-sm"
          type="button"
          disabled={busy !== null}
          onClick={() => resolve(flag.id)}
          data-testid={`flag-resolve-${flag.id}`}
        >
          {busy === flag.id ? "Resolving…" : "Resolve"}
        </button>
      </div>
    </li>
  );
}
