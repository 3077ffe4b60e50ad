import type { Dashboard, QueryPanel } from './dashboardModel.ts';

/** One PromQL expression of a dashboard and where it comes from. */
export interface DashboardQuery {
  dashboard: string;
  /** Panel title, or "variable <name>" for a template variable's query. */
  origin: string;
  expr: string;
}

/** Every PromQL expression a dashboard runs: panel targets and variable queries. */
export function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const v of dashboard.templating.list) out.push({ dashboard: dashboard.uid, origin: `variable ${v.name}`, expr: v.query.query });
  for (const panel of dashboard.panels) {
    if (panel.type === 'row') continue;
    for (const t of (panel as QueryPanel).targets) out.push({ dashboard: dashboard.uid, origin: `${panel.title} (${t.refId})`, expr: t.expr });
  }
  return out;
}

/** The medistill metric names (series names, with _bucket/_sum/_count) an expression reads. */
export function metricNamesIn(expr: string): string[] {
  return [...new Set(expr.match(/\bmedistill_[a-zA-Z0-9_]*/g) ?? [])].sort();
}

/** Grafana variables substituted for running an expression outside Grafana. */
export interface Substitutions {
  rateInterval: string;
  service: string;
  topic: string;
}

/**
 * The expression as Grafana would send it: `$__rate_interval` replaced by a duration and the
 * template variables by a regex (they are always matched with =~).
 */
export function substituteVariables(expr: string, s: Substitutions): string {
  return expr.replaceAll('$__rate_interval', s.rateInterval).replaceAll('$service', s.service).replaceAll('$topic', s.topic);
}
