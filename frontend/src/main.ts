import "./styles/base.css";
import "./styles/markdown.css";

import { listen, matchRoute } from "./router";
import { mountAnnotate } from "./screens/annotate/AnnotateScreen";
import { mountNotFound } from "./screens/NotFound";
import { mountProjectList } from "./screens/ProjectList";
import { writeQueue } from "./writeQueue";

const root = document.getElementById("app") as HTMLElement;
let unmount: () => void = () => undefined;

function show(): void {
  unmount();
  const route = matchRoute(location.pathname);
  switch (route.name) {
    case "projects":
      unmount = mountProjectList(root);
      break;
    case "annotate":
      unmount = mountAnnotate(root, route.projectId);
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
