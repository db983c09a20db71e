import { useEffect, useState } from "preact/hooks";
import { loginUrl } from "../api";
import type { QueueStatus } from "../logic/retryQueue";
import { writeQueue } from "../writeQueue";

/** The write queue's status, re-read each second while a retry counts down. */
function useQueueStatus() {
  const queue = writeQueue();
  const [status, setStatus] = useState<QueueStatus>(queue.status());
  const [, tick] = useState(0);
  useEffect(() => queue.subscribe(setStatus), [queue]);
  useEffect(() => {
    if (status.state !== "waiting") return;
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [status.state]);
  return { queue, status };
}

/** A quiet pill that says whether every submit has reached the server. */
export function SaveStatus() {
  const { queue, status } = useQueueStatus();
  if (status.failed.length) {
    const detail = status.failed.map((job) => `${job.label}: ${job.error}`).join("\n");
    return (
      <span class="save-status save-failed" role="alert" title={detail}>
        <span class="dot" /> {status.failed.length} not saved: {status.failed[0].error}
        <button class="btn-link" onClick={() => queue.dismissFailed()}>dismiss</button>
      </span>
    );
  }
  if (status.state === "paused") {
    return (
      <span class="save-status save-paused" role="alert">
        <span class="dot" /> Signed out, {status.pending} waiting ·{" "}
        <a href={loginUrl()}>log in to send</a>
      </span>
    );
  }
  if (status.state === "waiting") return <Waiting status={status} resume={() => queue.resume()} />;
  if (status.pending > 0) {
    return (
      <span class="save-status save-sending" role="status">
        <span class="dot" /> Saving…
      </span>
    );
  }
  return (
    <span class="save-status save-idle" role="status" data-testid="save-status">
      <span class="dot" /> All saved
    </span>
  );
}

function Waiting({ status, resume }: { status: QueueStatus; resume: () => void }) {
  const seconds = Math.max(0, Math.ceil(((status.retryAt ?? 0) - Date.now()) / 1000));
  return (
    <span class="save-status save-waiting" role="status" title={status.lastError ?? ""}>
      <span class="dot" /> Offline, {status.pending} unsaved · retry in {seconds}s
      <button class="btn-link" onClick={resume}>now</button>
    </span>
  );
}
