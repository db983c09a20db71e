import { useState } from "preact/hooks";
import { Markdown } from "../../components/Markdown";
import type { Message } from "../../types";

const ROLE_LABEL: Record<Message["role"], string> = { system: "System", user: "User", assistant: "Assistant" };
/** Earlier turns beyond this many are folded, so the responses stay near the top. */
const VISIBLE_TURNS = 4;

export function Conversation({ messages }: { messages: Message[] }) {
  const [expanded, setExpanded] = useState(false);
  const folded = expanded ? 0 : Math.max(0, messages.length - VISIBLE_TURNS);
  const last = messages.length - 1;
  return (
    <section class="conversation" aria-label="Conversation" data-testid="conversation">
      {folded > 0 && (
        <button class="btn btn-ghost btn-sm turn-unfold" onClick={() => setExpanded(true)}>
          Show {folded} earlier {folded === 1 ? "turn" : "turns"}
        </button>
      )}
      {messages.slice(folded).map((message, offset) => {
        const index = folded + offset;
        return (
          <article key={index} class={`turn turn-${message.role}${index === last ? " turn-last" : ""}`}>
            <div class="turn-role">{ROLE_LABEL[message.role] ?? message.role}</div>
            <Markdown text={message.content} class="turn-body" />
          </article>
        );
      })}
    </section>
  );
}
