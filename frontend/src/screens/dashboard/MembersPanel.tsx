import { useState } from "preact/hooks";
import { listMembers, setMember } from "../../api";
import { ago } from "../../logic/format";
import type { Member, Project, Role } from "../../types";
import { errorText, usePolled } from "./usePolled";

type Save = (username: string, role: Role) => Promise<boolean>;

/** The members, and setting one's role (adding them when new); the outcome as a message. */
function useMembers(projectId: number) {
  const [members, reload] = usePolled(() => listMembers(projectId), null, [projectId]);
  const [message, setMessage] = useState<{ text: string; ok: boolean } | null>(null);
  const save: Save = async (name, newRole) => {
    try {
      await setMember(projectId, { username: name, role: newRole });
      setMessage({ text: `${name} is now ${newRole === "admin" ? "an admin" : "an annotator"}.`, ok: true });
      reload();
      return true;
    } catch (error) {
      setMessage({ text: errorText(error), ok: false });
      return false;
    }
  };
  return { members, message, save };
}

/** Who works in the project; add someone by username or change a role. */
export function MembersPanel({ project }: { project: Project }) {
  const { members, message, save } = useMembers(project.id);
  return (
    <section class="card" data-testid="members-panel">
      <header class="card-head">
        <h2>Members</h2>
        <span class="card-note">{members.state === "ready" ? `${members.data.length} people` : ""}</span>
      </header>
      <AddMember save={save} />
      {message && <p class={message.ok ? "ok-text" : "field-error"} role="status">{message.text}</p>}
      {members.state === "ready" && <MemberTable members={members.data} save={save} />}
    </section>
  );
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
          <option value="annotator">Annotator</option>
          <option value="admin">Admin</option>
        </select>
      </label>
      <button class="btn" type="submit" disabled={!username.trim()} data-testid="member-add">Add or change</button>
    </form>
  );
}

function MemberTable({ members, save }: { members: Member[]; save: Save }) {
  return (
    <table class="data-table compact">
      <thead>
        <tr>
          <th>User</th>
          <th>Role</th>
          <th>Since</th>
        </tr>
      </thead>
      <tbody>
        {members.map((member) => (
          <tr key={member.username}>
            <td>{member.username}</td>
            <td>
              <select
                class="inline-select"
                value={member.role}
                aria-label={`${member.username}'s role`}
                onChange={(e) => save(member.username, (e.currentTarget as HTMLSelectElement).value as Role)}
              >
                <option value="annotator">annotator</option>
                <option value="admin">admin</option>
              </select>
            </td>
            <td>{ago(member.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
