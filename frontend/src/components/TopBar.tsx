import type { ComponentChildren } from "preact";
import { csrfToken } from "../api";
import { currentSession } from "../session";

interface Props {
  title?: ComponentChildren;
  children?: ComponentChildren;
}

export function TopBar({ title, children }: Props) {
  const { username } = currentSession();
  return (
    <header class="topbar">
      <a class="brand" href="/" data-nav>
        <span class="brand-mark" aria-hidden="true">P</span>
        <span>Preference Studio</span>
      </a>
      {/* The screen's title is its one h1 (the project list, with none here, has its own). */}
      {title ? (
        <h1 class="topbar-title">
          <span class="sep" aria-hidden="true">/</span>
          {title}
        </h1>
      ) : null}
      <div class="topbar-spacer" />
      <div class="topbar-tools">{children}</div>
      <div class="user-menu">
        {username ? <span title="Signed in">{username}</span> : null}
        <form method="post" action="/logout/">
          <input type="hidden" name="csrfmiddlewaretoken" value={csrfToken()} />
          <button class="btn btn-ghost btn-sm" type="submit">Log out</button>
        </form>
      </div>
    </header>
  );
}
