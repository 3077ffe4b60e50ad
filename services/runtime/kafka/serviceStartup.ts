import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Admin, Kafka } from 'kafkajs';
import { describeServiceConfig, type ServiceConfig } from '../../config/serviceConfig.ts';
import { createAvroCodec, type AvroCodec } from '../../contracts/avroCodec.ts';
import { dlqTopic } from '../../contracts/avroSchemas.ts';
import { createKafkaClient } from './createKafkaClient.ts';
import { ensureTopics } from './ensureTopics.ts';
import { startRegistryProbe, type RegistryProbe } from './registryProbe.ts';
import { startStep } from './startStep.ts';
import { createOutageBudget, type Dependency, type OutageBudget } from './outageBudget.ts';
import { systemClock } from './runtimeClock.ts';
import { OutageBudgetExceededError, ServiceStartError } from '../../errors/medistillErrors.ts';
import { codeVersion } from '../../config/codeVersion.ts';
import { redactUrlCredentials } from '../../config/urlCredentials.ts';

/** A timestamped log line on stderr; services keep stdout free. */
export function serviceLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${redactUrlCredentials(line)}\n`);
}

/** Prints the service's configuration, secrets redacted, and gives it a metrics registry labelled with its name. */
export function announceService(name: string, config: ServiceConfig): Registry {
  serviceLog(`${name}: starting medistill ${codeVersion()} with`);
  for (const line of describeServiceConfig(config)) serviceLog(`  ${line}`);
  const registry = new Registry();
  registry.setDefaultLabels({ service: name });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export interface ServiceConnections {
  kafka: Kafka;
  /** Connected; the caller disconnects it. */
  admin: Admin;
  codec: AvroCodec;
  registryProbe: RegistryProbe;
}

/**
 * Connects a service to what it needs: Kafka (creating its topics and their dead-letter topics)
 * and the schema registry (registering the topics' schemas), then watches the registry for
 * /readyz. A broker or registry that is down at start is waited for within the outage budget
 * (MEDISTILL_OUTAGE_BUDGET_MS), as an outage later on is: a service started with its dependencies
 * (a compose or Kubernetes roll-out) need not be restarted until they are up. A failure that
 * retrying cannot mend (a rejected schema, bad credentials), or one past the budget, is one line
 * saying what could not be reached. A stop request (`signal`) ends the wait.
 */
export async function connectService(name: string, config: ServiceConfig, topics: readonly string[], signal: AbortSignal = new AbortController().signal): Promise<ServiceConnections> {
  const kafka = createKafkaClient(config, `medistill-${name}`, serviceLog);
  const admin = kafka.admin();
  const budget = createOutageBudget({ budgetMs: config.outageBudgetMs, clock: systemClock, name, log: serviceLog });
  const created = await startWithin(budget, 'kafka', `cannot reach Kafka at ${config.kafkaBrokers.join(',')}`, signal, async () => {
    await admin.connect();
    return ensureTopics(admin, [...topics, ...topics.map(dlqTopic)], config.topicPartitions, config.topicReplication);
  });
  if (created.length) serviceLog(`${name}: created topics ${created.join(', ')}`);
  const auth = config.registryUsername && config.registryPassword ? { username: config.registryUsername, password: config.registryPassword } : undefined;
  const codec = createAvroCodec({ registryUrl: config.registryUrl, auth });
  await startWithin(budget, 'registry', `cannot register the schemas at ${config.registryUrl}`, signal, () => codec.registerAll(topics));
  return { kafka, admin, codec, registryProbe: startRegistryProbe({ registryUrl: config.registryUrl, auth }) };
}

/** Kafka refusing the service's credentials: waiting does not mend it. */
function refusedCredentials(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (/Authentication|Authorization/.test(e.name)) return true;
  }
  return false;
}

/**
 * A start-up step retried through an outage of `dependency` within the budget; past it, the last
 * failure as one ServiceStartError line that says how long it was tried.
 */
export async function startWithin<T>(budget: OutageBudget, dependency: Dependency, what: string, signal: AbortSignal, step: () => Promise<T>): Promise<T> {
  try {
    return await budget.ride(dependency, what, async () => {
      try {
        return await startStep(what, step);
      } catch (err) {
        if (refusedCredentials(err)) throw new ServiceStartError((err as Error).message, { cause: (err as Error).cause, retriable: false });
        throw err;
      }
    }, signal);
  } catch (err) {
    if (err instanceof OutageBudgetExceededError) {
      const last = err.cause instanceof Error ? err.cause.message : what;
      throw new ServiceStartError(`${last} (${err.message.split(';')[0]})`, { cause: err });
    }
    throw err;
  }
}

/** The /readyz answer of a service: connected to Kafka, and the registry answering. */
export function readiness(kafkaConnected: boolean, probe: RegistryProbe): { ok: boolean; reason?: string } {
  if (!kafkaConnected) return { ok: false, reason: 'not connected to Kafka' };
  if (!probe.ok) return { ok: false, reason: probe.reason ?? 'schema registry unreachable' };
  return { ok: true };
}
