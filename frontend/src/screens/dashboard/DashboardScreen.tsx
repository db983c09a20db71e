import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, getProject, loginUrl } from "../../api";
import { TopBar } from "../../components/TopBar";
import { type DashboardTab, type DataSection, hrefFor } from "../../router";
import type { Project } from "../../types";
import "../../styles/dashboard.css";
import { CheckpointReportPage } from "./CheckpointReportPage";
import { DataPage } from "./DataPage";
import { LeaderboardPage } from "./LeaderboardPage";
import { ComparisonPage } from "./ComparisonPage";
import { OverviewPage } from "./OverviewPage";
import { RunDetail } from "./RunDetail";
import { TrainingPage } from "./TrainingPage";

export interface DashboardRoute {
  projectId: number;
  tab: DashboardTab;
  runId?: number;
  /** A reward checkpoint's report page. */
  checkpointId?: number;
  /** The Data tab's section. */
  section?: DataSection;
  /** One comparison opened whole (from a flag). */
  comparisonId?: number;
}

// Switching tabs remounts the screen; the project shows at once from here while it reloads.
const projects = new Map<number, Project>();

export function mountDashboard(root: HTMLElement, route: DashboardRoute): () => void {
  render(<Dashboard {...route} />, root);
  return () => render(null, root);
}

const TABS: { tab: DashboardTab; label: string }[] = [
  { tab: "overview", label: "Overview" },
  { tab: "leaderboard", label: "Leaderboard" },
  { tab: "data", label: "Data" },
  { tab: "training", label: "Training" },
];

type Load = { state: "loading" } | { state: "error"; message: string } | { state: "ready"; project: Project };

/** The project, shown at once from the cache while it is read again; and a way to replace it after an edit. */
function useProject(projectId: number): [Load, (project: Project) => void] {
  const cached = projects.get(projectId);
  const [load, setLoad] = useState<Load>(cached ? { state: "ready", project: cached } : { state: "loading" });
  useEffect(() => {
    getProject(projectId)
      .then((project) => {
        projects.set(projectId, project);
        setLoad({ state: "ready", project });
      })
      .catch((error) => {
        if (error instanceof ApiError && error.isAuth) location.assign(loginUrl());
        else setLoad({ state: "error", message: error instanceof ApiError && error.status === 404 ? "No such project." : String(error.message ?? error) });
      });
  }, [projectId]);
  const change = (changed: Project) => {
    projects.set(projectId, changed);
    setLoad({ state: "ready", project: changed });
  };
  return [load, change];
}

function Dashboard(route: DashboardRoute) {
  const { projectId, tab } = route;
  const [load, onProjectChange] = useProject(projectId);
  const project = load.state === "ready" ? load.project : null;
  useEffect(() => {
    const section = TABS.find((t) => t.tab === tab)?.label ?? "";
    document.title = `${section} · ${project?.name ?? "Dashboard"} · Preference Studio`;
  }, [tab, project?.name]);

  return (
    <>
      <TopBar title={<strong>{project?.name ?? "…"}</strong>}>
        <a class="btn btn-ghost btn-sm" href={hrefFor({ name: "annotate", projectId })} data-nav>
          Annotate
        </a>
      </TopBar>
      <DashboardTabs projectId={projectId} tab={tab} />
      <main class="dash-page">
        {load.state === "loading" && <div class="skeleton" style={{ height: "160px" }} />}
        {load.state === "error" && <div class="error-box">Could not open the dashboard: {load.message}</div>}
        {project && project.role !== "admin" && (
          <div class="empty-state">
            <h2>For project admins</h2>
            <p>
              The dashboard is for this project's admins. <a href={hrefFor({ name: "annotate", projectId })} data-nav>Annotate instead</a>
            </p>
          </div>
        )}
        {project && project.role === "admin" && <TabPage route={route} project={project} onProjectChange={onProjectChange} />}
      </main>
    </>
  );
}

function DashboardTabs({ projectId, tab }: { projectId: number; tab: DashboardTab }) {
  return (
    <nav class="dash-tabs" aria-label="Dashboard sections">
      <div class="dash-tabs-inner">
        {TABS.map((item) => (
          <a
            key={item.tab}
            class={`dash-tab${item.tab === tab ? " is-current" : ""}`}
            href={hrefFor({ name: "dashboard", projectId, tab: item.tab })}
            aria-current={item.tab === tab ? "page" : undefined}
            data-nav
            data-testid={`tab-${item.tab}`}
          >
            {item.label}
          </a>
        ))}
      </div>
    </nav>
  );
}

function TabPage({ route, project, onProjectChange }: { route: DashboardRoute; project: Project; onProjectChange: (project: Project) => void }) {
  const { tab, runId, section, checkpointId } = route;
  if (route.comparisonId !== undefined) return <ComparisonPage project={project} comparisonId={route.comparisonId} />;
  if (tab === "overview") return <OverviewPage project={project} />;
  if (tab === "leaderboard") return <LeaderboardPage project={project} />;
  if (tab === "data") return <DataPage project={project} section={section} onProjectChange={onProjectChange} />;
  if (runId !== undefined) return <RunDetail project={project} runId={runId} />;
  if (checkpointId !== undefined) return <CheckpointReportPage project={project} checkpointId={checkpointId} />;
  return <TrainingPage project={project} />;
}
