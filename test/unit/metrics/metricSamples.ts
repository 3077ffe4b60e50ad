import type { Registry } from 'prom-client';

/** One exported sample: the series name (with _bucket/_sum/_count for histograms), labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string | number>;
  value: number;
}

/** Every sample of a metric as the registry would export it. */
export async function samples(registry: Registry, name: string): Promise<Sample[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} is not declared`);
  const data = await metric.get();
  return data.values.map((v) => ({ name: (v as { metricName?: string }).metricName ?? name, labels: v.labels as Record<string, string | number>, value: v.value }));
}

/** The value of the one sample whose labels include `labels` (and series name `series`, default the metric's). */
export async function valueOf(registry: Registry, name: string, labels: Record<string, string>, series = name): Promise<number | undefined> {
  const matching = (await samples(registry, name)).filter(
    (s) => s.name === series && Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v),
  );
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${series} match ${JSON.stringify(labels)}`);
  return matching[0]?.value;
}

/** The label names used by any sample of the metric, sorted. */
export async function labelNames(registry: Registry, name: string): Promise<string[]> {
  const names = new Set<string>();
  for (const s of await samples(registry, name)) for (const k of Object.keys(s.labels)) if (k !== 'le') names.add(k);
  return [...names].sort();
}
