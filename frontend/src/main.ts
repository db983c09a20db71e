import "./styles/base.css";
import "./styles/markdown.css";

import { listen, matchRoute } from "./router";
import { mountAnnotate } from "./screens/annotate/AnnotateScreen";
import { mountNotFound } from "./screens/NotFound";
import { mountProjectList } from "./screens/ProjectList";
import { writeQueue } from "./writeQueue";

const root = document.getElementById("app") as HTMLElement;
let unmount: () => void = () => undefined;
let shown = 0;

/** Mount a screen whose code loads on demand (the admin dashboard: annotators never fetch it). */
function mountLater(load: () => Promise<(root: HTMLElement) => () => void>): void {
  const mine = shown;
  load().then((mount) => {
    if (mine === shown) unmount = mount(root);
  });
}

function show(): void {
  unmount();
  unmount = () => undefined;
  shown++;
  const route = matchRoute(location.pathname);
  switch (route.name) {
    case "projects":
      unmount = mountProjectList(root);
      break;
    case "annotate":
      unmount = mountAnnotate(root, route.projectId);
      break;
    case "dashboard":
      mountLater(async () => {
        const { mountDashboard } = await import("./screens/dashboard/DashboardScreen");
        return (element) => mountDashboard(element, route);
      });
      break;
    case "review":
      mountLater(async () => {
        const { mountReview } = await import("./screens/review/ReviewScreen");
        return (element) => mountReview(element, route.projectId);
      });
      break;
    case "newProject":
      mountLater(async () => (await import("./screens/dashboard/NewProjectScreen")).mountNewProject);
      break;
    case "notFound":
      unmount = mountNotFound(root, route.path);
      break;
  }
}

// Writes left over from an earlier visit (offline, signed out) go out whatever screen is shown.
writeQueue();
listen(show);
show();
