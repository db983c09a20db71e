import { render } from "preact";
import { useEffect, useLayoutEffect, useState } from "preact/hooks";
import { ApiError, getProgress, listProjects, loginUrl } from "../api";
import { SaveStatus } from "../components/SaveStatus";
import { TopBar } from "../components/TopBar";
import { hrefFor, navigate } from "../router";
import { currentSession } from "../session";
import type { Progress, Project } from "../types";
import "../styles/projects.css";

export function mountProjectList(root: HTMLElement): () => void {
  render(<ProjectList />, root);
  return () => render(null, root);
}

type Load = { state: "loading" } | { state: "error"; message: string } | { state: "ready"; projects: Project[] };

/** The user's projects, then each one's progress as it arrives. */
function useProjects(): [Load, Record<number, Progress>] {
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [progress, setProgress] = useState<Record<number, Progress>>({});
  useEffect(() => {
    listProjects()
      .then((projects) => {
        setLoad({ state: "ready", projects });
        for (const project of projects) {
          getProgress(project.id)
            .then((p) => setProgress((all) => ({ ...all, [project.id]: p })))
            .catch(() => undefined);
        }
      })
      .catch((error) => {
        if (error instanceof ApiError && error.isAuth) location.assign(loginUrl());
        else setLoad({ state: "error", message: String(error.message ?? error) });
      });
  }, []);
  return [load, progress];
}

/** 1–9 open a project, so the whole day can go without touching the mouse. */
function useNumberKeys(projects: Project[] | null): void {
  useLayoutEffect(() => {
    if (!projects) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if ((event.target as HTMLElement).closest?.("input, textarea")) return;
      const project = projects[Number(event.key) - 1];
      if (project) navigate(hrefFor({ name: "annotate", projectId: project.id }));
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [projects]);
}

function ProjectList() {
  const [load, progress] = useProjects();
  useNumberKeys(load.state === "ready" ? load.projects : null);
  useEffect(() => {
    document.title = "Projects · Preference Studio";
  }, []);

  return (
    <>
      <TopBar>
        <SaveStatus />
      </TopBar>
      <main class="page">
        <PageHead />
        {load.state === "loading" && <div class="skeleton" style={{ height: "120px" }} />}
        {load.state === "error" && <div class="error-box">Could not load projects: {load.message}</div>}
        {load.state === "ready" && load.projects.length === 0 && (
          <div class="empty-state">
            <h2>No projects yet</h2>
            <p>Ask a project admin to add you as an annotator.</p>
          </div>
        )}
        {load.state === "ready" && load.projects.length > 0 && (
          <ul class="project-list">
            {load.projects.map((project, index) => (
              <ProjectCard key={project.id} project={project} index={index} progress={progress[project.id]} />
            ))}
          </ul>
        )}
      </main>
    </>
  );
}

function PageHead() {
  return (
    <div class="page-head">
      <div>
        <h1>Your projects</h1>
        <p class="subtitle">Pick up where you left off. Press a project's number to open it.</p>
      </div>
      {currentSession().is_staff && (
        <a class="btn" href={hrefFor({ name: "newProject" })} data-nav data-testid="new-project-link">
          New project
        </a>
      )}
    </div>
  );
}

function ProjectCard({ project, index, progress }: { project: Project; index: number; progress?: Progress }) {
  const href = hrefFor({ name: "annotate", projectId: project.id });
  const kind =
    project.task_type === "pairwise" ? "Pairwise" : `Rank ${project.responses_per_comparison} responses`;
  return (
    <li class="project-card">
      <a class="project-link" href={href} data-nav data-testid={`project-${project.slug}`}>
        {index < 9 && <kbd class="project-key">{index + 1}</kbd>}
        <div class="project-main">
          <div class="project-name">{project.name}</div>
          <div class="project-meta">
            <span>{kind}</span>
            {project.criteria.length > 0 && <span>Criteria: {project.criteria.join(", ")}</span>}
            {project.collect_demonstrations && <span>Demonstrations</span>}
            {project.role === "admin" && <span class="role-badge">admin</span>}
          </div>
        </div>
        <ProjectProgress progress={progress} />
        <span class="project-go">Annotate →</span>
      </a>
      {project.role === "admin" && (
        <a
          class="project-admin"
          href={hrefFor({ name: "dashboard", projectId: project.id, tab: "overview" })}
          data-nav
          data-testid={`dashboard-${project.slug}`}
          title="Progress, agreement, leaderboard, data and training"
        >
          Dashboard
        </a>
      )}
      {(project.role === "admin" || project.role === "reviewer") && (
        <a
          class="project-admin"
          href={hrefFor({ name: "review", projectId: project.id })}
          data-nav
          data-testid={`review-${project.slug}`}
          title="Accept or reject judgments"
        >
          Review
        </a>
      )}
    </li>
  );
}

function ProjectProgress({ progress }: { progress?: Progress }) {
  if (!progress) {
    return (
      <div class="project-progress">
        <div class="project-numbers muted">—</div>
      </div>
    );
  }
  const total = progress.done_total + progress.remaining;
  const share = total ? Math.round((100 * progress.done_total) / total) : 0;
  return (
    <div class="project-progress">
      <div class="project-numbers">
        <span><strong>{progress.done_today}</strong> today</span>
        <span><strong>{progress.remaining}{progress.remaining_capped ? "+" : ""}</strong> left</span>
      </div>
      <div class="bar" aria-label={`${share}% of your comparisons done`}>
        <div class="bar-fill" style={{ width: `${share}%` }} />
      </div>
    </div>
  );
}
