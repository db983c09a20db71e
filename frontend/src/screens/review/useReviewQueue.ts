import { useEffect, useState } from "preact/hooks";
import { getReviewQueue, reviewJudgment } from "../../api";
import { NO_FILTERS, PAGE_SIZE, nextOffset, type ReviewFilters, reviewQuery } from "../../logic/reviewQuery";
import type { ReviewDecision, ReviewEntry, ReviewPage } from "../../types";
import { errorText } from "../dashboard/usePolled";

export type QueuePage = { state: "loading" } | { state: "error"; message: string } | { state: "ready"; page: ReviewPage };

/** The queue's filters and page, one page loaded at a time; a decision updates its entry in place
 * (it stays on screen with its new review until the page is left). */
export function useReviewQueue(projectId: number) {
  const [filters, setFiltersNow] = useState<ReviewFilters>(NO_FILTERS);
  const [offset, setOffset] = useState(0);
  const [loaded, setLoaded] = useState<QueuePage>({ state: "loading" });
  const [message, setMessage] = useState<{ text: string; ok: boolean } | null>(null);
  const query = reviewQuery(filters, offset);
  useEffect(() => {
    let live = true;
    setLoaded({ state: "loading" });
    getReviewQueue(projectId, query).then(
      (page) => live && setLoaded({ state: "ready", page }),
      (error) => live && setLoaded({ state: "error", message: errorText(error) }),
    );
    return () => {
      live = false;
    };
  }, [projectId, query]);
  const setFilters = (next: ReviewFilters) => {
    setFiltersNow(next);
    setOffset(0);
  };
  const decide = async (entry: ReviewEntry, decision: ReviewDecision): Promise<boolean> => {
    try {
      const reviewed = await reviewJudgment(entry.id, decision);
      setLoaded((now) => (now.state === "ready" ? { state: "ready", page: replaced(now.page, reviewed) } : now));
      const what =
        decision.review === "accepted"
          ? "accepted"
          : entry.comparison.is_gold // gold holds no seat: nothing goes back; the mistake stays in their gold accuracy
            ? "rejected: it leaves the data, and still counts in their gold accuracy"
            : "rejected: its comparison is back in the pool";
      setMessage({ text: `${entry.annotator}'s judgment ${what}.`, ok: true });
      return true;
    } catch (error) {
      setMessage({ text: errorText(error), ok: false });
      return false;
    }
  };
  const turnPage = (step: number) => {
    if (step > 0 && loaded.state === "ready") setOffset(nextOffset(filters.state, offset, loaded.page.results));
    else setOffset(Math.max(0, offset - PAGE_SIZE));
  };
  return { filters, setFilters, offset, loaded, message, decide, turnPage };
}

function replaced(page: ReviewPage, entry: ReviewEntry): ReviewPage {
  return { ...page, results: page.results.map((e) => (e.id === entry.id ? entry : e)) };
}
