import { getStats } from "../../api";
import type { Project } from "../../types";
import { ExportPanel } from "./ExportPanel";
import { ImportPanel } from "./ImportPanel";
import { MembersPanel } from "./MembersPanel";
import { SettingsPanel } from "./SettingsPanel";
import { SnapshotPanel } from "./SnapshotPanel";
import { usePolled } from "./usePolled";

/** Data in and out (import, export, snapshots) and the project's settings and members. */
export function DataPage({ project, onProjectChange }: { project: Project; onProjectChange: (project: Project) => void }) {
  // The stats know the models and the annotators (with outlier flags) the filters offer.
  const [stats] = usePolled(() => getStats(project.id), null, [project.id]);
  const data = stats.state === "ready" ? stats.data : null;
  const models = data?.ratings.win_rate.models ?? [];
  const annotators = data?.annotators ?? [];
  return (
    <div class="dash-stack" data-testid="data-page">
      <ImportPanel project={project} />
      <ExportPanel project={project} models={models} annotators={annotators} />
      <SnapshotPanel project={project} models={models} annotators={annotators} />
      <div class="dash-columns">
        <SettingsPanel project={project} onProjectChange={onProjectChange} />
        <MembersPanel project={project} />
      </div>
    </div>
  );
}
