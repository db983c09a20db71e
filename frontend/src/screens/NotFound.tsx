import { render } from "preact";
import { TopBar } from "../components/TopBar";

export function mountNotFound(root: HTMLElement, path: string): () => void {
  render(
    <>
      <TopBar />
      <main class="page">
        <div class="empty-state">
          <h1>Nothing here</h1>
          <p>
            No screen at <code>{path}</code>. <a href="/" data-nav>Back to your projects</a>
          </p>
        </div>
      </main>
    </>,
    root,
  );
  return () => render(null, root);
}
