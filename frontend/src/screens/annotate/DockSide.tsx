import type { Ref } from "preact";
import { Kbd } from "../../components/Kbd";
import type { Draft, DraftAction } from "../../logic/draft";

interface Props {
  draft: Draft;
  busy: boolean;
  rationaleRef: Ref<HTMLTextAreaElement>;
  dispatch: (action: DraftAction) => void;
  onSkip: () => void;
  onFlag: () => void;
  onSubmit: () => void;
}

/** The dock's right side: the rationale and the skip, flag and submit buttons. */
export function DockSide({ draft, busy, rationaleRef, dispatch, onSkip, onFlag, onSubmit }: Props) {
  return (
    <div class="dock-side">
      <textarea
        ref={rationaleRef}
        class={`rationale${draft.rationale ? " has-text" : ""}`}
        data-testid="rationale"
        placeholder="Rationale (optional) — R"
        aria-label="Rationale (optional)"
        aria-keyshortcuts="R"
        rows={1}
        value={draft.rationale}
        onInput={(event) => dispatch({ type: "rationale", text: (event.target as HTMLTextAreaElement).value })}
      />
      <div class="dock-actions">
        <button type="button" class="btn" onClick={onSkip} aria-keyshortcuts="S" data-testid="skip">Skip <Kbd k="S" /></button>
        <button type="button" class="btn" onClick={onFlag} aria-keyshortcuts="F" data-testid="flag">Flag <Kbd k="F" /></button>
        <button type="button" class="btn btn-primary submit" onClick={onSubmit} aria-keyshortcuts="Enter Control+Enter" data-testid="submit" disabled={busy}>
          Submit <Kbd k="Enter" />
        </button>
      </div>
    </div>
  );
}
