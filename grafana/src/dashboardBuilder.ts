import { PROMETHEUS, type Dashboard, type Panel, type QueryVariable } from './dashboardModel.ts';
import type { SizedPanel } from './panels.ts';

/** The schema version the dashboards are written in (Grafana 10.3 and later read it). */
export const SCHEMA_VERSION = 39;

/** A template variable filled from one label's values. */
export interface VariableSpec {
  name: string;
  label: string;
  description: string;
  /** PromQL of `label_values(<selector>, <label>)`. */
  labelValues: string;
}

/** What a dashboard is made of. */
export interface DashboardSpec {
  /** Stable uid: links and provisioning rely on it; at most 40 characters. */
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables: VariableSpec[];
  panels: SizedPanel[];
}

/** A query variable over label values, multi-valued with "All" meaning any value (regex `.*`). */
export function labelValuesVariable(spec: VariableSpec): QueryVariable {
  return {
    type: 'query',
    name: spec.name,
    label: spec.label,
    description: spec.description,
    datasource: PROMETHEUS,
    definition: spec.labelValues,
    query: { qryType: 1, query: spec.labelValues, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: 2,
    regex: '',
    sort: 1,
    multi: true,
    includeAll: true,
    allValue: '.*',
    current: {},
    options: [],
    hide: 0,
    skipUrlSync: false,
  };
}

/**
 * Lays panels out left to right on the 24-column grid, starting a new line when a panel does not
 * fit and before every row; numbers them in order, so the same spec always gives the same JSON.
 */
export function layoutPanels(sized: readonly SizedPanel[]): Panel[] {
  const panels: Panel[] = [];
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  let id = 1;
  for (const { panel, width, height } of sized) {
    if (!Number.isInteger(width) || width < 1 || width > 24) throw new RangeError(`panel "${panel.title}": width must be 1..24 grid columns, got ${width}`);
    if (!Number.isInteger(height) || height < 1) throw new RangeError(`panel "${panel.title}": height must be a whole number of grid units >= 1, got ${height}`);
    if (panel.type === 'row' || x + width > 24) {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
    }
    panels.push({ ...panel, id: id++, gridPos: { h: height, w: width, x, y } } as Panel);
    x += width;
    lineHeight = Math.max(lineHeight, height);
    if (panel.type === 'row') {
      y += height;
      x = 0;
      lineHeight = 0;
    }
  }
  return panels;
}

/** Builds a provisionable dashboard (id null, uid fixed, Prometheus referenced by uid). */
export function buildDashboard(spec: DashboardSpec): Dashboard {
  if (!/^[a-zA-Z0-9_-]{1,40}$/.test(spec.uid)) throw new RangeError(`dashboard uid must be 1-40 letters, digits, - or _, got "${spec.uid}"`);
  return {
    id: null,
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    refresh: '30s',
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    links: [],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: { list: spec.variables.map(labelValuesVariable) },
    panels: layoutPanels(spec.panels),
  };
}
