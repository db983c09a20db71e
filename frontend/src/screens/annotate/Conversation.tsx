import { Kbd } from "../../components/Kbd";
import { Markdown } from "../../components/Markdown";
import { foldedTurns } from "../../logic/turns";
import type { Message } from "../../types";

const ROLE_LABEL: Record<Message["role"], string> = { system: "System", user: "User", assistant: "Assistant" };

interface Props {
  messages: Message[];
  /** The folded middle turns are shown (X toggles it). */
  expanded: boolean;
  onToggle: () => void;
}

/** The conversation so far: the original question and the last turns always, the middle on X. */
export function Conversation({ messages, expanded, onToggle }: Props) {
  const fold = foldedTurns(messages);
  const last = messages.length - 1;
  const turn = (message: Message, index: number) => (
    <article key={index} class={`turn turn-${message.role}${index === last ? " turn-last" : ""}`}>
      <div class="turn-role">{ROLE_LABEL[message.role] ?? message.role}</div>
      <Markdown text={message.content} class="turn-body" />
    </article>
  );
  const head = fold ? messages.slice(0, fold.start) : messages;
  const middle = fold && expanded ? messages.slice(fold.start, fold.end) : [];
  const tail = fold ? messages.slice(fold.end) : [];
  return (
    <section class="conversation" aria-label="Conversation" data-testid="conversation">
      {head.map((message, i) => turn(message, i))}
      {fold && (
        <button class="btn btn-ghost btn-sm turn-unfold" onClick={onToggle} aria-expanded={expanded} data-testid="unfold-turns">
          {expanded ? "Fold" : "Show"} {fold.end - fold.start} earlier turns <Kbd k="X" />
        </button>
      )}
      {middle.map((message, i) => turn(message, (fold?.start ?? 0) + i))}
      {tail.map((message, i) => turn(message, (fold?.end ?? 0) + i))}
    </section>
  );
}
