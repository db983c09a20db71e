// Client-side routes. Django serves the same index.html for each of these paths
// (annotation_site/pages.py); add a screen by adding a route here and a mount function in main.ts.

export type DashboardTab = "overview" | "leaderboard" | "data" | "training";
/** The Data tab's sections, each at /dashboard/data/<section>; /dashboard/data is the first. */
export const DATA_SECTIONS = ["import", "comparisons", "export", "snapshots", "settings", "members"] as const;
export type DataSection = (typeof DATA_SECTIONS)[number];

export type Route =
  | { name: "projects" }
  | { name: "newProject" }
  | { name: "annotate"; projectId: number }
  | { name: "review"; projectId: number }
  | { name: "dashboard"; projectId: number; tab: DashboardTab; runId?: number; section?: DataSection; comparisonId?: number; checkpointId?: number }
  | { name: "notFound"; path: string };

const PATTERNS: [RegExp, (match: RegExpMatchArray) => Route][] = [
  [/^\/$/, () => ({ name: "projects" })],
  [/^\/projects\/new\/?$/, () => ({ name: "newProject" })],
  [/^\/projects\/(\d+)\/annotate\/?$/, (m) => ({ name: "annotate", projectId: Number(m[1]) })],
  [/^\/projects\/(\d+)\/review\/?$/, (m) => ({ name: "review", projectId: Number(m[1]) })],
  [/^\/projects\/(\d+)\/dashboard\/?$/, (m) => ({ name: "dashboard", projectId: Number(m[1]), tab: "overview" })],
  [
    /^\/projects\/(\d+)\/dashboard\/(overview|leaderboard|data|training)\/?$/,
    (m) => ({ name: "dashboard", projectId: Number(m[1]), tab: m[2] as DashboardTab }),
  ],
  [
    /^\/projects\/(\d+)\/dashboard\/data\/(import|comparisons|export|snapshots|settings|members)\/?$/,
    (m) => ({ name: "dashboard", projectId: Number(m[1]), tab: "data", section: m[2] as DataSection }),
  ],
  [
    /^\/projects\/(\d+)\/dashboard\/comparisons\/(\d+)\/?$/,
    (m) => ({ name: "dashboard", projectId: Number(m[1]), tab: "overview", comparisonId: Number(m[2]) }),
  ],
  [
    /^\/projects\/(\d+)\/dashboard\/training\/runs\/(\d+)\/?$/,
    (m) => ({ name: "dashboard", projectId: Number(m[1]), tab: "training", runId: Number(m[2]) }),
  ],
  [
    /^\/projects\/(\d+)\/dashboard\/training\/checkpoints\/(\d+)\/?$/,
    (m) => ({ name: "dashboard", projectId: Number(m[1]), tab: "training", checkpointId: Number(m[2]) }),
  ],
];

export function matchRoute(pathname: string): Route {
  for (const [pattern, build] of PATTERNS) {
    const match = pathname.match(pattern);
    if (match) return build(match);
  }
  return { name: "notFound", path: pathname };
}

export function hrefFor(route: Route): string {
  switch (route.name) {
    case "projects":
      return "/";
    case "newProject":
      return "/projects/new";
    case "annotate":
      return `/projects/${route.projectId}/annotate`;
    case "review":
      return `/projects/${route.projectId}/review`;
    case "dashboard": {
      const base = `/projects/${route.projectId}/dashboard`;
      if (route.runId !== undefined) return `${base}/training/runs/${route.runId}`;
      if (route.checkpointId !== undefined) return `${base}/training/checkpoints/${route.checkpointId}`;
      if (route.comparisonId !== undefined) return `${base}/comparisons/${route.comparisonId}`;
      if (route.tab === "data" && route.section !== undefined) return `${base}/data/${route.section}`;
      return route.tab === "overview" ? base : `${base}/${route.tab}`;
    }
    case "notFound":
      return route.path;
  }
}

const NAVIGATE_EVENT = "app:navigate";

/** Go to another screen without a page load. */
export function navigate(href: string): void {
  if (href === location.pathname + location.search) return;
  history.pushState(null, "", href);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

/** Calls `onChange` on back/forward, navigate(), and clicks on same-origin links marked data-nav. */
export function listen(onChange: () => void): void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  document.addEventListener("click", (event) => {
    const link = (event.target as Element | null)?.closest?.("a[data-nav]") as HTMLAnchorElement | null;
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(link.getAttribute("href") ?? "/");
  });
}
