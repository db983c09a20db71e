import type { Progress } from "../../types";

/** Done today, a bar of done against all, and what is left (a lower bound when capped). */
export function ProgressMeter({ progress }: { progress: Progress | null }) {
  if (!progress) return null;
  const total = progress.done_total + progress.remaining;
  const share = total ? (100 * progress.done_total) / total : 0;
  return (
    <div class="progress-meter" data-testid="progress" title={`${progress.done_total} done in total`}>
      <span><strong>{progress.done_today}</strong> today</span>
      <span class="progress-bar"><span style={{ width: `${share}%` }} /></span>
      <span><strong>{progress.remaining}{progress.remaining_capped ? "+" : ""}</strong> left</span>
    </div>
  );
}
