import { ago } from "../../logic/format";
import type { FlaggedItem } from "../../types";

export const REASON_LABELS: Record<string, string> = {
  unsafe: "Unsafe",
  both_bad: "All bad",
  broken_prompt: "Broken prompt",
  other: "Other",
};

/** The newest unresolved flags. Notes and prompts are user text: JSX escapes them. */
export function FlaggedItems({ items }: { items: FlaggedItem[] }) {
  if (items.length === 0) return <p class="muted pending-note">Nothing flagged. Annotators flag broken or unsafe items with F.</p>;
  return (
    <ul class="flag-list" data-testid="flagged">
      {items.map((item) => (
        <li key={item.id} class="flag-item">
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
          </div>
        </li>
      ))}
    </ul>
  );
}
