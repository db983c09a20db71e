// Who is signed in, as written into index.html by labeling/pages.py.

import type { SessionInfo } from "./types";

let cached: SessionInfo | null = null;

export function currentSession(): SessionInfo {
  if (cached) return cached;
  const element = document.getElementById("session");
  try {
    cached = element ? (JSON.parse(element.textContent || "{}") as SessionInfo) : null;
  } catch {
    cached = null;
  }
  cached = cached ?? { username: "", is_staff: false };
  return cached;
}
