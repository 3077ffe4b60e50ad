import { readFile, readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { allDashboards, dashboardJson } from '../../../grafana/src/dashboards.ts';
import { dashboardQueries, metricNamesIn } from '../../../grafana/src/dashboardQueries.ts';
import { layoutPanels } from '../../../grafana/src/dashboardBuilder.ts';
import { stat, timeseries } from '../../../grafana/src/panels.ts';
import { DASHBOARD_DIR } from '../../../grafana/src/writeDashboards.ts';
import type { GridPos, QueryPanel } from '../../../grafana/src/dashboardModel.ts';
import { readAlertRules } from './alertRuleExpressions.ts';
import { declaredMetricNames } from './declaredMetricNames.ts';

function overlap(a: GridPos, b: GridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

describe('Grafana dashboards', () => {
  it('committed JSON is exactly what the builders generate (run npx tsx grafana/src/writeDashboards.ts after a change)', async () => {
    const generated = allDashboards();
    expect((await readdir(DASHBOARD_DIR)).filter((f) => f.endsWith('.json')).sort()).toEqual(generated.map((d) => d.file).sort());
    for (const { file, dashboard } of generated) {
      expect(await readFile(`${DASHBOARD_DIR}/${file}`, 'utf8'), file).toBe(dashboardJson(dashboard));
    }
  });

  it('follow the current dashboard model: schema 39+, stable unique uids, Prometheus by uid, service and topic variables', () => {
    const dashboards = allDashboards().map((d) => d.dashboard);
    expect(dashboards.map((d) => d.uid)).toEqual(['medistill-pipeline-health', 'medistill-dataset-quality']);
    for (const d of dashboards) {
      expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
      expect(d.id).toBeNull();
      const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
      expect(vars.service?.type).toBe('query');
      expect(vars.service?.query.query).toMatch(/^label_values\(medistill_\w+, service\)$/);
      expect(vars.service?.allValue).toBe('.*');
      for (const v of d.templating.list) expect(v.datasource).toEqual({ type: 'prometheus', uid: 'prometheus' });
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of d.panels) {
        expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
        if (p.type === 'row') continue;
        expect(['timeseries', 'stat', 'heatmap']).toContain(p.type);
        expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: 'prometheus' });
        for (const t of (p as QueryPanel).targets) expect(t.datasource, p.title).toEqual({ type: 'prometheus', uid: 'prometheus' });
      }
      for (let i = 0; i < d.panels.length; i++) {
        for (let j = i + 1; j < d.panels.length; j++) {
          expect(overlap(d.panels[i]!.gridPos, d.panels[j]!.gridPos), `${d.panels[i]!.title} / ${d.panels[j]!.title}`).toBe(false);
        }
      }
    }
    const health = dashboards[0]!;
    expect(health.templating.list.map((v) => v.name)).toEqual(['service', 'topic']);
    expect(health.templating.list[1]?.query.query).toBe('label_values(medistill_records_consumed_total{service=~"$service"}, topic)');
    expect(new Set(health.panels.map((p) => p.type))).toEqual(new Set(['row', 'timeseries', 'stat', 'heatmap']));
  });

  it('match template variables with =~ only, so "All" (.*) and multi-value selections work', () => {
    for (const { dashboard } of allDashboards()) {
      for (const q of dashboardQueries(dashboard)) {
        expect(q.expr, q.origin).not.toMatch(/[^~]=\s*"\$(service|topic)"/);
      }
    }
  });

  it('use in panels, variables and alert rules only metric names the metric modules declare', async () => {
    const declared = await declaredMetricNames();
    const used = new Map<string, string>();
    for (const { dashboard } of allDashboards()) for (const q of dashboardQueries(dashboard)) for (const n of metricNamesIn(q.expr)) used.set(n, `${q.dashboard}: ${q.origin}`);
    const alerts = await readAlertRules();
    expect(alerts.map((a) => a.alert)).toEqual(['MedistillConsumerLagGrowing', 'MedistillDeadLetterRateHigh', 'MedistillLlmErrorRateHigh', 'MedistillLlmEndpointDown', 'MedistillLlmCacheFailing', 'MedistillAcceptanceRateDropping', 'MedistillNoNewRecords']);
    for (const a of alerts) {
      expect(metricNamesIn(a.expr).length, a.alert).toBeGreaterThan(0);
      for (const n of metricNamesIn(a.expr)) used.set(n, `alert ${a.alert}`);
    }
    const undeclared = [...used].filter(([name]) => !declared.has(name)).map(([name, where]) => `${name} (${where})`);
    expect(undeclared).toEqual([]);
    // The dashboards cover every family of metrics, not a token subset.
    for (const family of ['medistill_consumer_lag', 'medistill_dead_letters_total', 'medistill_llm_tokens_total', 'medistill_llm_concurrency_limit', 'medistill_judge_score_bucket', 'medistill_mesh_terms_per_record_sum', 'medistill_judge_verdicts_by_branch_total']) {
      expect(used.has(family), family).toBe(true);
    }
  });

  it('lays panels out left to right, wrapping lines and starting rows on a fresh line', () => {
    const panels = layoutPanels([stat({ title: 'a', queries: [{ expr: 'x' }] }), timeseries({ title: 'b', width: 24, queries: [{ expr: 'y' }] })]);
    expect(panels.map((p) => [p.id, p.gridPos])).toEqual([
      [1, { h: 4, w: 6, x: 0, y: 0 }],
      [2, { h: 8, w: 24, x: 0, y: 4 }],
    ]);
    expect(() => layoutPanels([timeseries({ title: 'wide', width: 30, queries: [{ expr: 'x' }] })])).toThrow(/width must be 1..24/);
  });
});

describe('metricNamesIn', () => {
  it('finds series names in PromQL, not label values or functions', () => {
    expect(metricNamesIn('histogram_quantile(0.5, sum by (le) (rate(medistill_judge_score_bucket{service=~"$service"}[5m]))) / medistill_x_total')).toEqual([
      'medistill_judge_score_bucket',
      'medistill_x_total',
    ]);
  });
});
