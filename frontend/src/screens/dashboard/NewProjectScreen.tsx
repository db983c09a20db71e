import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { createProject } from "../../api";
import { TopBar } from "../../components/TopBar";
import { NEW_PROJECT, type ProjectFormValues, projectPayload, slugify } from "../../logic/projectForm";
import { hrefFor, navigate } from "../../router";
import { currentSession } from "../../session";
import "../../styles/dashboard.css";
import { ProjectFields } from "./ProjectFields";
import { errorText } from "./usePolled";

export function mountNewProject(root: HTMLElement): () => void {
  render(<NewProject />, root);
  return () => render(null, root);
}

/** Create a project (staff only); its creator becomes its admin and lands on its data page to import. */
function NewProject() {
  const [values, setValues] = useState<ProjectFormValues>(NEW_PROJECT);
  const [slugTouched, setSlugTouched] = useState(false);
  const [state, setState] = useState({ sending: false, error: "" });
  const { payload, errors } = projectPayload(values, true);
  const invalid = Object.keys(errors).length > 0;

  useEffect(() => {
    document.title = "New project · Preference Studio";
  }, []);

  const change = (next: ProjectFormValues) => {
    if (next.slug !== values.slug) setSlugTouched(true);
    setValues(slugTouched || next.slug !== values.slug ? next : { ...next, slug: slugify(next.name) });
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (invalid) return;
    setState({ sending: true, error: "" });
    try {
      const project = await createProject(payload);
      navigate(hrefFor({ name: "dashboard", projectId: project.id, tab: "data" }));
    } catch (error) {
      setState({ sending: false, error: errorText(error) });
    }
  };

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
            {state.error && <div class="error-box" role="alert">{state.error}</div>}
            <div class="form-actions">
              <button class="btn btn-primary" type="submit" disabled={invalid || state.sending} data-testid="project-create">
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
