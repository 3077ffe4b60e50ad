import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The alert rules file the services ship. */
export const ALERTS_FILE = fileURLToPath(new URL('../../../deploy/prometheus/alerts.yml', import.meta.url));

/** One alerting rule: its name and PromQL expression. */
export interface AlertRule {
  alert: string;
  expr: string;
}

/**
 * Reads the `alert:` / `expr:` pairs of a Prometheus rules file written the way alerts.yml is
 * (expr inline or as a `|` block). No YAML library is installed; promtool checks the real syntax.
 */
export async function readAlertRules(path: string = ALERTS_FILE): Promise<AlertRule[]> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  const rules: AlertRule[] = [];
  let alert: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const named = /^\s*- alert:\s*(\S+)\s*$/.exec(line);
    if (named) {
      alert = named[1] ?? null;
      continue;
    }
    const expr = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (!expr || alert === null) continue;
    const indent = (expr[1] ?? '').length;
    let text = (expr[2] ?? '').trim();
    if (text === '|' || text === '|-') {
      const body: string[] = [];
      while (i + 1 < lines.length) {
        const next = lines[i + 1] ?? '';
        if (next.trim() !== '' && next.length - next.trimStart().length <= indent) break;
        body.push(next.trim());
        i++;
      }
      text = body.filter(Boolean).join('\n');
    }
    rules.push({ alert, expr: text });
    alert = null;
  }
  return rules;
}
