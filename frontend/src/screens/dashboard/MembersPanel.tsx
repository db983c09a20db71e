import { useState } from "preact/hooks";
import { changeMemberRole, listMembers, removeMember, setMember } from "../../api";
import { ago } from "../../logic/format";
import type { Member, Project, Role } from "../../types";
import { errorText, usePolled } from "./usePolled";

type Save = (username: string, role: Role, existing?: boolean) => Promise<boolean>;
type Remove = (username: string) => Promise<void>;

const ROLES: [Role, string][] = [
  ["annotator", "Annotator"],
  ["reviewer", "Reviewer"],
  ["admin", "Admin"],
];
const WITH_ARTICLE: Record<Role, string> = { annotator: "an annotator", reviewer: "a reviewer", admin: "an admin" };

/** The members; adding one, changing a role, removing one; the outcome as a message. */
function useMembers(projectId: number) {
  const [members, reload] = usePolled(() => listMembers(projectId), null, [projectId]);
  const [message, setMessage] = useState<{ text: string; ok: boolean } | null>(null);
  const attempt = async (run: () => Promise<unknown>, text: string) => {
    try {
      await run();
      setMessage({ text, ok: true });
      reload();
      return true;
    } catch (error) {
      setMessage({ text: errorText(error), ok: false });
      reload(); // a refused change shows the role as it still is
      return false;
    }
  };
  const save: Save = (name, newRole, existing = false) =>
    attempt(
      () => (existing ? changeMemberRole(projectId, name, newRole) : setMember(projectId, { username: name, role: newRole })),
      `${name} is now ${WITH_ARTICLE[newRole]}.`,
    );
  const remove: Remove = async (name) => {
    await attempt(() => removeMember(projectId, name), `${name} was removed; their judgments stay.`);
  };
  return { members, message, save, remove };
}

/** Who works in the project; add someone by username, change a role, remove someone, search. */
export function MembersPanel({ project }: { project: Project }) {
  const { members, message, save, remove } = useMembers(project.id);
  const [search, setSearch] = useState("");
  const shown = members.state === "ready" ? matching(members.data, search) : [];
  return (
    <section class="card" data-testid="members-panel">
      <header class="card-head">
        <h2>Members</h2>
        <span class="card-note">{members.state === "ready" ? `${members.data.length} people` : ""}</span>
      </header>
      <AddMember save={save} />
      {message && <p class={message.ok ? "ok-text" : "field-error"} role="status">{message.text}</p>}
      {members.state === "ready" && (
        <>
          <label class="field member-search" style={{ maxWidth: "280px", margin: "12px 0 8px" }}>
            <span>Search</span>
            <input type="search" value={search} placeholder="username or role" onInput={(e) => setSearch((e.currentTarget as HTMLInputElement).value)} data-testid="member-search" />
          </label>
          <MemberTable members={shown} save={save} remove={remove} />
        </>
      )}
    </section>
  );
}

/** Members whose username or role contains `search` (any case). */
function matching(members: Member[], search: string): Member[] {
  const needle = search.trim().toLowerCase();
  return needle ? members.filter((m) => m.username.toLowerCase().includes(needle) || m.role.includes(needle)) : members;
}

function AddMember({ save }: { save: Save }) {
  const [username, setUsername] = useState("");
  const [role, setRole] = useState<Role>("annotator");
  const submit = async (event: Event) => {
    event.preventDefault();
    if (username.trim() && (await save(username.trim(), role))) setUsername("");
  };
  return (
    <form class="form-row" onSubmit={submit}>
      <label class="field">
        <span>Username</span>
        <input value={username} onInput={(e) => setUsername((e.currentTarget as HTMLInputElement).value)} data-testid="member-username" />
      </label>
      <label class="field">
        <span>Role</span>
        <select value={role} onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value as Role)}>
          {ROLES.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </select>
      </label>
      <button class="btn" type="submit" disabled={!username.trim()} data-testid="member-add">Add or change</button>
    </form>
  );
}

function MemberTable({ members, save, remove }: { members: Member[]; save: Save; remove: Remove }) {
  return (
    <table class="data-table compact">
      <thead>
        <tr>
          <th>User</th>
          <th>Role</th>
          <th>Since</th>
          <th><span class="visually-hidden">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        {members.map((member) => (
          <tr key={member.username} data-testid="member-row" data-username={member.username}>
            <td>{member.username}</td>
            <td>
              <select
                class="inline-select"
                value={member.role}
                aria-label={`${member.username}'s role`}
                onChange={(e) => save(member.username, (e.currentTarget as HTMLSelectElement).value as Role, true)}
              >
                {ROLES.map(([value]) => <option key={value} value={value}>{value}</option>)}
              </select>
            </td>
            <td>{ago(member.created_at)}</td>
            <td class="actions">
              <RemoveButton username={member.username} remove={remove} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Remove, then a second click to confirm (no browser dialog). */
function RemoveButton({ username, remove }: { username: string; remove: Remove }) {
  const [armed, setArmed] = useState(false);
  if (!armed) {
    return <button class="btn btn-ghost btn-sm" onClick={() => setArmed(true)} data-testid="member-remove">Remove</button>;
  }
  return (
    <>
      <button class="btn btn-sm" onClick={() => remove(username)} data-testid="member-remove-confirm">Remove {username}</button>
      <button class="btn btn-ghost btn-sm" onClick={() => setArmed(false)}>Keep</button>
    </>
  );
}
