// A button for an action that cannot be taken back (cancelling a training run): the first click
// asks, in place, and only "Yes" acts; "No" or Escape puts the button back.

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import "../styles/confirm.css";

interface Props {
  /** The button's label, e.g. "Cancel run". */
  label: string;
  /** The question asked in its place, e.g. "Stop run #4? Steps since its last save are lost." */
  question: ComponentChildren;
  /** The confirming button's label, e.g. "Yes, cancel". */
  confirm: string;
  onConfirm: () => void;
  testId: string;
  small?: boolean;
}

export function ConfirmButton({ label, question, confirm, onConfirm, testId, small = false }: Props) {
  const [asking, setAsking] = useState(false);
  const size = small ? " btn-sm" : "";
  if (!asking) {
    return <button type="button" class={`btn${size}`} onClick={() => setAsking(true)} data-testid={testId}>{label}</button>;
  }
  return (
    <span class="confirm-inline" role="group" data-testid={`${testId}-asking`}
      onKeyDown={(event) => event.key === "Escape" && setAsking(false)}>
      <span class="confirm-question">{question}</span>
      <button type="button" class={`btn btn-danger${size}`} data-testid={`${testId}-confirm`}
        onClick={() => { setAsking(false); onConfirm(); }}>{confirm}</button>
      {/* autofocus on the safe choice: Enter right after the first click does not act */}
      <button type="button" class={`btn btn-ghost${size}`} autoFocus onClick={() => setAsking(false)}>No</button>
    </span>
  );
}
