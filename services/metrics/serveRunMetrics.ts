import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { startMetricsServer } from './metricsServer.ts';
import type { Instrumentation } from '../instrumentation/instrumentation.ts';
import { createPipelineMetrics, type PipelineMetricsOptions } from './pipelineMetrics.ts';

/** The metrics of a `medistill run` process and the server that exposes them. */
export interface RunMetricsServer {
  readonly port: number;
  /** Keeps serving `lingerMs` longer (so a scraper sees the final values), then stops. */
  close(lingerMs?: number): Promise<void>;
}

/** Longest time `medistill run` keeps its metrics server up after the run (one hour). */
export const MAX_LINGER_MS = 3_600_000;

/**
 * Serves /metrics, /healthz and /readyz for an in-process run on a registry of its own, fed by the
 * events on `bus`, with the same metric names as the Kafka services (service label from
 * `options.service`).
 */
export async function serveRunMetrics(options: PipelineMetricsOptions & { port: number; host: string }, bus: Instrumentation): Promise<RunMetricsServer> {
  const registry = new Registry();
  createPipelineMetrics(registry, options, bus);
  const server = await startMetricsServer({ registry, port: options.port, host: options.host, ready: () => ({ ok: true }) });
  let closed: Promise<void> | undefined;
  return {
    port: server.port,
    close(lingerMs = 0) {
      closed ??= (async () => {
        if (lingerMs > 0) await sleep(Math.min(lingerMs, MAX_LINGER_MS));
        await server.close();
      })();
      return closed;
    },
  };
}
