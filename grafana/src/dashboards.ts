import type { Dashboard } from './dashboardModel.ts';
import { datasetQualityDashboard } from './datasetQualityDashboard.ts';
import { pipelineHealthDashboard } from './pipelineHealthDashboard.ts';

/** Every dashboard with the file it is written to under grafana/dashboards/. */
export function allDashboards(): { file: string; dashboard: Dashboard }[] {
  return [
    { file: 'pipeline-health.json', dashboard: pipelineHealthDashboard() },
    { file: 'dataset-quality.json', dashboard: datasetQualityDashboard() },
  ];
}

/** A dashboard as committed: two-space JSON with a final newline. */
export function dashboardJson(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
