// Answers to a read asked again and again (the annotator's progress counts), kept in order. Two
// asks in flight at once (a refresh after each saved judgment, while the next comparison is leased
// ahead) can be answered in either order: the older answer, arriving last, put back a count the
// newer one had corrected ("29 left" beside the server's 28, until the next refresh). A count moved
// on the screen ahead of the server (a submit, an undo) likewise outdates every answer asked before.

export class AnswerOrder {
  private asked = 0;
  /** Answers to asks up to this number are outdated. */
  private outdated = 0;

  /** A number for the next ask, to hand back to accept() with its answer. */
  ask(): number {
    this.asked += 1;
    return this.asked;
  }

  /** Whether the answer to ask `ticket` may be shown: no later ask was answered first, and the
   * value did not change on the screen since it was asked. */
  accept(ticket: number): boolean {
    if (ticket <= this.outdated) return false;
    this.outdated = ticket;
    return true;
  }

  /** The value changed on the screen: the answers to earlier asks no longer hold. */
  changedHere(): void {
    this.outdated = this.asked;
  }
}
