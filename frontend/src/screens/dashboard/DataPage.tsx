import { getStats } from "../../api";
import { DATA_SECTIONS, type DataSection, hrefFor } from "../../router";
import type { Project } from "../../types";
import { ComparisonBrowser } from "./ComparisonBrowser";
import { ExportPanel } from "./ExportPanel";
import { ImportPanel } from "./ImportPanel";
import { MembersPanel } from "./MembersPanel";
import { SettingsPanel } from "./SettingsPanel";
import { SnapshotPanel } from "./SnapshotPanel";
import { usePolled } from "./usePolled";

const LABELS: Record<DataSection, string> = {
  import: "Import",
  comparisons: "Comparisons",
  export: "Export",
  snapshots: "Snapshots",
  settings: "Settings",
  members: "Members",
};

interface Props {
  project: Project;
  /** From the address (/dashboard/data/<section>); the first section when it names none. */
  section?: DataSection;
  onProjectChange: (project: Project) => void;
}

/** Data in and out (import, export, snapshots), the comparisons themselves, and the project's settings and
 * members, a section each. */
export function DataPage({ project, section = DATA_SECTIONS[0], onProjectChange }: Props) {
  return (
    <div class="dash-stack" data-testid="data-page" data-section={section}>
      <nav class="data-sections" aria-label="Data sections">
        {DATA_SECTIONS.map((item) => (
          <a
            key={item}
            class={`data-section-link${item === section ? " is-current" : ""}`}
            href={hrefFor({ name: "dashboard", projectId: project.id, tab: "data", section: item })}
            aria-current={item === section ? "page" : undefined}
            data-nav
            data-testid={`data-section-${item}`}
          >
            {LABELS[item]}
          </a>
        ))}
      </nav>
      {section === "import" && <ImportPanel project={project} />}
      {section === "comparisons" && <ComparisonBrowser project={project} />}
      {section === "export" && <WithFilterChoices project={project} panel={ExportPanel} />}
      {section === "snapshots" && <WithFilterChoices project={project} panel={SnapshotPanel} />}
      {section === "settings" && <SettingsPanel project={project} onProjectChange={onProjectChange} />}
      {section === "members" && <MembersPanel project={project} />}
    </div>
  );
}

type FilteredPanel = typeof ExportPanel | typeof SnapshotPanel;

/** A panel whose filters offer the project's models and annotators (with outlier flags): the stats know them. */
function WithFilterChoices({ project, panel: Panel }: { project: Project; panel: FilteredPanel }) {
  const [stats] = usePolled(() => getStats(project.id), null, [project.id]);
  const data = stats.state === "ready" ? stats.data : null;
  return <Panel project={project} models={data?.ratings.win_rate.models ?? []} annotators={data?.annotators ?? []} />;
}
