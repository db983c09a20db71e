import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, createProject } from "../../api";
import { TopBar } from "../../components/TopBar";
import { NEW_PROJECT, type ProjectFormValues, projectPayload, serverFieldErrors, slugify, standingErrors } from "../../logic/projectForm";
import { hrefFor, navigate } from "../../router";
import { currentSession } from "../../session";
import "../../styles/dashboard.css";
import { ProjectFields } from "./ProjectFields";
import { errorText } from "./usePolled";

export function mountNewProject(root: HTMLElement): () => void {
  render(<NewProject />, root);
  return () => render(null, root);
}

type Sent = { values: ProjectFormValues; fields: Record<string, string> };

/**
 * The form's values and sending: the server's field errors (a 400's {field: [messages]}) stay next
 * to their inputs until those inputs change; anything else is the form's one message.
 */
function useNewProject() {
  const [values, setValues] = useState<ProjectFormValues>(NEW_PROJECT);
  const [slugTouched, setSlugTouched] = useState(false);
  const [state, setState] = useState({ sending: false, error: "" });
  const [sent, setSent] = useState<Sent | null>(null);
  const { payload, errors: local } = projectPayload(values, true);
  const server = sent ? standingErrors(sent.fields, sent.values, values) : {};
  const errors = { ...server, ...local };

  const change = (next: ProjectFormValues) => {
    if (next.slug !== values.slug) setSlugTouched(true);
    setValues(slugTouched || next.slug !== values.slug ? next : { ...next, slug: slugify(next.name) });
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    if (Object.keys(local).length) return;
    setState({ sending: true, error: "" });
    try {
      const project = await createProject(payload);
      navigate(hrefFor({ name: "dashboard", projectId: project.id, tab: "data" }));
    } catch (error) {
      const split = error instanceof ApiError && error.status === 400 ? serverFieldErrors(error.body) : null;
      setSent(split ? { values, fields: split.fields } : null);
      setState({ sending: false, error: split ? split.rest : errorText(error) });
    }
  };
  return { values, change, submit, errors, blocked: Object.keys(errors).length > 0, state };
}

/** Create a project (staff only); its creator becomes its admin and lands on its data page to import. */
function NewProject() {
  const { values, change, submit, errors, blocked, state } = useNewProject();
  useEffect(() => {
    document.title = "New project · Preference Studio";
  }, []);

  return (
    <>
      <TopBar title={<strong>New project</strong>} />
      <main class="dash-page narrow">
        {!currentSession().is_staff ? (
          <div class="empty-state">
            <h2>Staff only</h2>
            <p>Ask a staff user to create the project and make you its admin.</p>
          </div>
        ) : (
          <form class="card" onSubmit={submit} data-testid="new-project">
            <header class="card-head">
              <h2>New project</h2>
              <span class="card-note">You become its admin; import data next</span>
            </header>
            <ProjectFields values={values} onChange={change} errors={values.name || values.slug ? errors : {}} creating />
            {state.error && <div class="error-box" role="alert" data-testid="project-error">{state.error}</div>}
            <div class="form-actions">
              <button class="btn btn-primary" type="submit" disabled={blocked || state.sending} data-testid="project-create">
                {state.sending ? "Creating…" : "Create project"}
              </button>
              <a class="btn btn-ghost" href="/" data-nav>Cancel</a>
            </div>
          </form>
        )}
      </main>
    </>
  );
}
