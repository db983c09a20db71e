// The app's one retry queue for writes (judgments, skips, flags, demonstrations), stored in
// localStorage per user so that a reload or a closed laptop does not lose what was submitted.

import { ApiError, NetworkError, send, type WriteRequest } from "./api";
import { type Classification, RetryQueue } from "./logic/retryQueue";
import { currentSession } from "./session";

export function classifyWriteError(error: unknown): Classification {
  if (error instanceof NetworkError) return "retry";
  if (error instanceof ApiError) {
    if (error.isAuth) return "pause";
    if (error.status >= 500 || error.status === 408 || error.status === 429) return "retry";
  }
  return "fail";
}

let queue: RetryQueue<WriteRequest> | null = null;

export function writeQueue(): RetryQueue<WriteRequest> {
  if (queue) return queue;
  let storage: Storage | null = null;
  try {
    storage = window.localStorage;
  } catch {
    storage = null;
  }
  const created = new RetryQueue<WriteRequest>({
    send,
    classify: classifyWriteError,
    storage,
    storageKey: `preference-studio:writes:${currentSession().username}`,
  });
  window.addEventListener("online", () => created.resume());
  queue = created;
  created.resume();
  return created;
}
