import { useState } from "preact/hooks";
import { ago } from "../../logic/format";
import type { OpenFlag } from "../../types";
import { errorText } from "./usePolled";

export const REASON_LABELS: Record<string, string> = {
  unsafe: "Unsafe",
  both_bad: "All bad",
  broken_prompt: "Broken prompt",
  other: "Other",
};

interface Props {
  flags: OpenFlag[];
  /** Mark a flag resolved (it then leaves the list when the overview reloads). */
  onResolve: (flagId: number) => Promise<unknown>;
}

/** Resolve one flag at a time; the flag being resolved and the last failure. */
function useResolve(onResolve: Props["onResolve"]) {
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
export function OpenFlags({ flags, onResolve }: Props) {
  const { busy, error, resolve } = useResolve(onResolve);
  if (flags.length === 0) return <p class="muted pending-note">Nothing flagged. Annotators flag broken or unsafe comparisons with F.</p>;
  return (
    <>
      {error && <div class="error-box" role="alert">{error}</div>}
      <ul class="flag-list" data-testid="flagged">
        {flags.map((flag) => <FlagItem key={flag.id} flag={flag} busy={busy} resolve={resolve} />)}
      </ul>
    </>
  );
}

function FlagItem({ flag, busy, resolve }: { flag: OpenFlag; busy: number | null; resolve: (flagId: number) => void }) {
  return (
    <li class="flag-item" data-testid={`flag-${flag.id}`}>
      <span class={`chip reason-${flag.reason}`}>{REASON_LABELS[flag.reason] ?? flag.reason}</span>
      <div class="flag-main">
        <div class="flag-prompt">{flag.prompt_excerpt || <span class="muted">(empty prompt)</span>}</div>
        {flag.note && <div class="flagged-note">“{flag.note}”</div>}
      </div>
      <div class="flag-meta">
        <span>comparison #{flag.comparison}</span>
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
