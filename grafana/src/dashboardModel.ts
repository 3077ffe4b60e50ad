/**
 * The parts of Grafana's dashboard JSON model (schemaVersion 39+) the medistill dashboards use,
 * typed so that the builders cannot produce a field Grafana would not read.
 */

/** A data source referenced by uid, as provisioned in grafana/provisioning/datasources. */
export interface DataSourceRef {
  type: 'prometheus';
  uid: string;
}

/** The Prometheus data source every panel and variable uses. */
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: 'prometheus' };

/** Position on Grafana's 24-column grid; heights in grid units (30 px). */
export interface GridPos {
  h: number;
  w: number;
  x: number;
  y: number;
}

/** One PromQL query of a panel. */
export interface PrometheusTarget {
  refId: string;
  datasource: DataSourceRef;
  expr: string;
  legendFormat: string;
  editorMode: 'code';
  range: boolean;
  instant: boolean;
  format?: 'time_series' | 'heatmap';
}

/** Display units Grafana knows that these dashboards use. */
export type Unit = 'short' | 'reqps' | 'ops' | 's' | 'percentunit' | 'dateTimeFromNow' | 'currencyUSD' | 'none';

export interface FieldConfig {
  defaults: {
    unit: Unit;
    decimals?: number;
    min?: number;
    max?: number;
    color?: { mode: 'palette-classic' | 'thresholds' };
    thresholds?: { mode: 'absolute'; steps: { color: string; value: number | null }[] };
    custom?: Record<string, unknown>;
  };
  overrides: unknown[];
}

interface PanelBase {
  id: number;
  title: string;
  description?: string;
  gridPos: GridPos;
}

export interface TimeseriesPanel extends PanelBase {
  type: 'timeseries';
  datasource: DataSourceRef;
  targets: PrometheusTarget[];
  fieldConfig: FieldConfig;
  options: {
    legend: { displayMode: 'list' | 'table'; placement: 'bottom' | 'right'; showLegend: boolean; calcs: string[] };
    tooltip: { mode: 'single' | 'multi'; sort: 'none' | 'desc' };
  };
}

export interface StatPanel extends PanelBase {
  type: 'stat';
  datasource: DataSourceRef;
  targets: PrometheusTarget[];
  fieldConfig: FieldConfig;
  options: {
    reduceOptions: { calcs: string[]; fields: string; values: boolean };
    colorMode: 'value' | 'background' | 'none';
    graphMode: 'area' | 'none';
    justifyMode: 'auto';
    orientation: 'auto';
    textMode: 'auto';
    showPercentChange: boolean;
    wideLayout: boolean;
  };
}

export interface HeatmapPanel extends PanelBase {
  type: 'heatmap';
  datasource: DataSourceRef;
  targets: PrometheusTarget[];
  fieldConfig: FieldConfig;
  options: {
    calculate: false;
    cellGap: number;
    color: { mode: 'scheme'; scheme: string; fill: string; scale: 'exponential' | 'linear'; exponent: number; steps: number; reverse: boolean };
    yAxis: { axisPlacement: 'left'; unit: Unit; reverse: boolean };
    rowsFrame: { layout: 'auto' | 'le' | 'ge' | 'unknown' };
    tooltip: { mode: 'single'; yHistogram: boolean; showColorScale: boolean };
    legend: { show: boolean };
    exemplars: { color: string };
    filterValues: { le: number };
    cellValues: { unit: Unit };
  };
}

export interface RowPanel extends PanelBase {
  type: 'row';
  collapsed: boolean;
  panels: [];
}

/** A panel of the dashboard's flat panel list. */
export type Panel = TimeseriesPanel | StatPanel | HeatmapPanel | RowPanel;

/** A panel with queries (everything but rows). */
export type QueryPanel = Exclude<Panel, RowPanel>;

/** A query variable filled from `label_values(...)`. */
export interface QueryVariable {
  type: 'query';
  name: string;
  label: string;
  description: string;
  datasource: DataSourceRef;
  definition: string;
  query: { qryType: 1; query: string; refId: string };
  refresh: 2;
  regex: string;
  sort: 1;
  multi: boolean;
  includeAll: boolean;
  allValue: string;
  current: Record<string, never>;
  options: [];
  hide: 0;
  skipUrlSync: false;
}

/** A dashboard as Grafana stores it. */
export interface Dashboard {
  id: null;
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: 'browser';
  editable: boolean;
  graphTooltip: 1;
  fiscalYearStartMonth: 0;
  liveNow: false;
  weekStart: '';
  refresh: string;
  schemaVersion: number;
  version: number;
  time: { from: string; to: string };
  timepicker: Record<string, never>;
  links: [];
  annotations: {
    list: {
      builtIn: 1;
      datasource: { type: 'grafana'; uid: '-- Grafana --' };
      enable: true;
      hide: true;
      iconColor: string;
      name: string;
      type: 'dashboard';
    }[];
  };
  templating: { list: QueryVariable[] };
  panels: Panel[];
}
