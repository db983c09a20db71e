import { useState } from "preact/hooks";
import { updateProject } from "../../api";
import { changedFields, projectFormValues, projectPayload } from "../../logic/projectForm";
import type { Project } from "../../types";
import { ProjectFields } from "./ProjectFields";
import { errorText } from "./usePolled";

type Props = { project: Project; onProjectChange: (project: Project) => void };

/** The settings as typed, what changed, and saving only that. */
function useSettingsForm({ project, onProjectChange }: Props) {
  const [values, setValues] = useState(() => projectFormValues(project));
  const [state, setState] = useState<{ sending: boolean; message: string; ok: boolean }>({ sending: false, message: "", ok: false });
  const { payload, errors } = projectPayload(values, false);
  const changes = changedFields(project, payload);
  const dirty = Object.keys(changes).length > 0;
  const submit = async (event: Event) => {
    event.preventDefault();
    if (Object.keys(errors).length || !dirty) return;
    setState({ sending: true, message: "", ok: false });
    try {
      const saved = await updateProject(project.id, changes);
      onProjectChange(saved);
      setValues(projectFormValues(saved));
      setState({ sending: false, message: `Saved: ${Object.keys(changes).join(", ").replace(/_/g, " ")}.`, ok: true });
    } catch (error) {
      setState({ sending: false, message: errorText(error), ok: false });
    }
  };
  // Typed away from what is stored, valid or not: an invalid field leaves the payload, so it is no "change".
  const edited = JSON.stringify(values) !== JSON.stringify(projectFormValues(project));
  return { values, setValues, errors, dirty, edited, state, submit, discard: () => setValues(projectFormValues(project)) };
}

/** Edit the project's settings; only changed fields are sent. */
export function SettingsPanel(props: Props) {
  const { project } = props;
  const { values, setValues, errors, dirty, edited, state, submit, discard } = useSettingsForm(props);
  const invalid = Object.keys(errors).length > 0;
  return (
    <section class="card" data-testid="settings-panel">
      <header class="card-head">
        <h2>Project settings</h2>
        <span class="card-note">
          {project.task_type === "pairwise" ? "Pairwise" : `Ranking of ${project.responses_per_comparison}`} · slug <code>{project.slug}</code>
        </span>
      </header>
      <form onSubmit={submit}>
        <ProjectFields values={values} onChange={setValues} errors={errors} creating={false} />
        <div class="form-actions">
          <button class="btn btn-primary" type="submit" disabled={!dirty || state.sending || invalid} data-testid="settings-save">
            {state.sending ? "Saving…" : invalid ? "Fix the marked fields" : dirty ? "Save changes" : "No changes"}
          </button>
          {(dirty || edited) && (
            <button type="button" class="btn btn-ghost" onClick={discard}>
              Discard
            </button>
          )}
          {state.message && <span class={state.ok ? "ok-text" : "field-error"} role="status">{state.message}</span>}
        </div>
      </form>
    </section>
  );
}
