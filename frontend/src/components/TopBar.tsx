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
      {title ? (
        <div class="topbar-title">
          <span class="sep">/</span>
          {title}
        </div>
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
