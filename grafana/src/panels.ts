import { PROMETHEUS, type FieldConfig, type HeatmapPanel, type PrometheusTarget, type RowPanel, type StatPanel, type TimeseriesPanel, type Unit } from './dashboardModel.ts';

/** A query as a dashboard author writes it: the PromQL and the series name template. */
export interface Query {
  expr: string;
  legend?: string;
}

/** What every panel builder needs; `width` and `height` are grid units (24 columns wide). */
export interface PanelSpec {
  title: string;
  description?: string;
  queries: Query[];
  unit?: Unit;
  width?: number;
  height?: number;
  min?: number;
  max?: number;
  decimals?: number;
}

/** A panel before the layout gave it an id and a place on the grid. */
export type UnplacedPanel =
  | Omit<TimeseriesPanel, 'id' | 'gridPos'>
  | Omit<StatPanel, 'id' | 'gridPos'>
  | Omit<HeatmapPanel, 'id' | 'gridPos'>
  | Omit<RowPanel, 'id' | 'gridPos'>;

/** A panel with the size the layout should give it. */
export interface SizedPanel {
  panel: UnplacedPanel;
  width: number;
  height: number;
}

function targets(queries: Query[], format: PrometheusTarget['format']): PrometheusTarget[] {
  if (queries.length === 0) throw new RangeError('a panel needs at least one query');
  if (queries.length > 26) throw new RangeError('a panel holds at most 26 queries (refId A..Z)');
  return queries.map((q, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: PROMETHEUS,
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    editorMode: 'code',
    range: true,
    instant: false,
    ...(format ? { format } : {}),
  }));
}

function fieldConfig(spec: PanelSpec, custom?: Record<string, unknown>): FieldConfig {
  return {
    defaults: {
      unit: spec.unit ?? 'short',
      ...(spec.decimals === undefined ? {} : { decimals: spec.decimals }),
      ...(spec.min === undefined ? {} : { min: spec.min }),
      ...(spec.max === undefined ? {} : { max: spec.max }),
      color: { mode: 'palette-classic' },
      ...(custom ? { custom } : {}),
    },
    overrides: [],
  };
}

function common(spec: PanelSpec): { title: string; description?: string } {
  return spec.description ? { title: spec.title, description: spec.description } : { title: spec.title };
}

/** A time-series graph. */
export function timeseries(spec: PanelSpec): SizedPanel {
  return {
    width: spec.width ?? 12,
    height: spec.height ?? 8,
    panel: {
      type: 'timeseries',
      ...common(spec),
      datasource: PROMETHEUS,
      targets: targets(spec.queries, undefined),
      fieldConfig: fieldConfig(spec, { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: false }),
      options: {
        legend: { displayMode: 'list', placement: 'bottom', showLegend: true, calcs: [] },
        tooltip: { mode: 'multi', sort: 'desc' },
      },
    },
  };
}

/** A single figure (the last value of its query). */
export function stat(spec: PanelSpec): SizedPanel {
  return {
    width: spec.width ?? 6,
    height: spec.height ?? 4,
    panel: {
      type: 'stat',
      ...common(spec),
      datasource: PROMETHEUS,
      targets: targets(spec.queries, undefined),
      fieldConfig: fieldConfig(spec),
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'value',
        graphMode: 'area',
        justifyMode: 'auto',
        orientation: 'auto',
        textMode: 'auto',
        showPercentChange: false,
        wideLayout: true,
      },
    },
  };
}

/** A heatmap of a Prometheus histogram: the query must return bucket counts by `le`. */
export function heatmap(spec: PanelSpec): SizedPanel {
  return {
    width: spec.width ?? 12,
    height: spec.height ?? 8,
    panel: {
      type: 'heatmap',
      ...common(spec),
      datasource: PROMETHEUS,
      targets: targets(spec.queries, 'heatmap'),
      fieldConfig: { defaults: { unit: 'short', custom: { hideFrom: { legend: false, tooltip: false, viz: false }, scaleDistribution: { type: 'linear' } } }, overrides: [] },
      options: {
        calculate: false,
        cellGap: 1,
        color: { mode: 'scheme', scheme: 'Oranges', fill: 'dark-orange', scale: 'exponential', exponent: 0.5, steps: 64, reverse: false },
        yAxis: { axisPlacement: 'left', unit: spec.unit ?? 'short', reverse: false },
        rowsFrame: { layout: 'le' },
        tooltip: { mode: 'single', yHistogram: true, showColorScale: false },
        legend: { show: true },
        exemplars: { color: 'rgba(255,0,255,0.7)' },
        filterValues: { le: 1e-9 },
        cellValues: { unit: 'short' },
      },
    },
  };
}

/** A full-width section title. */
export function row(title: string): SizedPanel {
  return { width: 24, height: 1, panel: { type: 'row', title, collapsed: false, panels: [] } };
}
