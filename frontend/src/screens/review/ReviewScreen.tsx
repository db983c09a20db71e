// The review screen (issue #19): reviewers and admins go through a project's judgments, filtered,
// a page at a time, and accept each or reject it with a note. A rejected judgment counts nowhere
// and its comparison returns to the pool for another annotator.

import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getProject } from "../../api";
import { TopBar } from "../../components/TopBar";
import { PAGE_SIZE, pageText } from "../../logic/reviewQuery";
import { hrefFor } from "../../router";
import type { Project } from "../../types";
import "../../styles/dashboard.css";
import "../../styles/review.css";
import { ReviewEntryCard } from "./ReviewEntryCard";
import { ReviewFilterBar } from "./ReviewFilterBar";
import { type QueuePage, useReviewQueue } from "./useReviewQueue";

export function mountReview(root: HTMLElement, projectId: number): () => void {
  render(<ReviewScreen projectId={projectId} />, root);
  return () => render(null, root);
}

const NOT_FOUND = "This project does not exist, or you are not one of its members.";

function ReviewScreen({ projectId }: { projectId: number }) {
  // undefined while loading; null when the project is not found for this user
  const [project, setProject] = useState<Project | null | undefined>(undefined);
  useEffect(() => void getProject(projectId).then(setProject, () => setProject(null)), [projectId]);
  const queue = useReviewQueue(projectId);
  // An annotator (or anyone the project is not found for) is told so at once, not shown the
  // filters of a queue the server will refuse them.
  const refused = project !== undefined && project?.role !== "admin" && project?.role !== "reviewer";
  return (
    <>
      <TopBar title={<strong>{project?.name ?? "…"} · Review</strong>}>
        <a class="btn btn-ghost btn-sm" href={hrefFor({ name: "annotate", projectId })} data-nav>Annotate</a>
        {project?.role === "admin" && (
          <a class="btn btn-ghost btn-sm" href={hrefFor({ name: "dashboard", projectId, tab: "overview" })} data-nav>Dashboard</a>
        )}
      </TopBar>
      <main class="page review-page" data-testid="review-screen">
        {/* h2: the top bar's title ("<project> · Review") is the screen's h1. */}
        <h2 class="page-title">Review</h2>
        <p class="subtitle">
          Accept a judgment, or reject it with a note for its annotator: a rejected judgment leaves the data, and its
          comparison goes back to the pool for someone else. On a gold comparison it still counts in its annotator's gold
          accuracy, so a mistake rejected stays on their record.
        </p>
        {refused ? (
          <p class="field-error" role="alert" data-testid="review-refused">
            {project ? "Only this project's reviewers and admins review its judgments; you annotate here." : NOT_FOUND}
          </p>
        ) : (
          <>
            <ReviewFilterBar filters={queue.filters} onChange={queue.setFilters} />
            {queue.message && <p class={queue.message.ok ? "ok-text" : "field-error"} role="status">{queue.message.text}</p>}
            {project && <QueueBody loaded={queue.loaded} project={project} decide={queue.decide} />}
            <Pager loaded={queue.loaded} offset={queue.offset} turnPage={queue.turnPage} />
          </>
        )}
      </main>
    </>
  );
}

type Decide = ReturnType<typeof useReviewQueue>["decide"];

function QueueBody({ loaded, project, decide }: { loaded: QueuePage; project: Project; decide: Decide }) {
  if (loaded.state === "loading") return <p class="muted">Loading…</p>;
  if (loaded.state === "error") return <p class="field-error" role="alert">{loaded.message}</p>;
  if (loaded.page.results.length === 0) {
    return (
      <div class="empty-state" data-testid="review-empty">
        <h2>Nothing to review here</h2>
        <p>No judgments match these filters.</p>
      </div>
    );
  }
  return (
    <div class="review-list">
      {loaded.page.results.map((entry) => <ReviewEntryCard key={entry.id} entry={entry} project={project} decide={decide} />)}
    </div>
  );
}

function Pager({ loaded, offset, turnPage }: { loaded: QueuePage; offset: number; turnPage: (step: number) => void }) {
  if (loaded.state !== "ready") return null;
  const { page } = loaded;
  return (
    <nav class="review-pager" aria-label="Pages">
      <button class="btn btn-sm" disabled={!page.previous} onClick={() => turnPage(-1)}>← Previous</button>
      <span class="muted" data-testid="review-count">{pageText(offset, page.results.length, page.count)}</span>
      <button class="btn btn-sm" disabled={!page.next || page.results.length < PAGE_SIZE} onClick={() => turnPage(1)}>Next →</button>
    </nav>
  );
}
