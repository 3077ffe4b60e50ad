import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Admin, Kafka } from 'kafkajs';
import { describeServiceConfig, type ServiceConfig } from '../../config/serviceConfig.ts';
import { createAvroCodec, type AvroCodec } from '../../contracts/avroCodec.ts';
import { dlqTopic } from '../../contracts/avroSchemas.ts';
import { createKafkaClient } from './createKafkaClient.ts';
import { ensureTopics } from './ensureTopics.ts';
import { startRegistryProbe, type RegistryProbe } from './registryProbe.ts';
import { startStep } from './startStep.ts';
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
 * /readyz. A failure is one line saying what could not be reached.
 */
export async function connectService(name: string, config: ServiceConfig, topics: readonly string[]): Promise<ServiceConnections> {
  const kafka = createKafkaClient(config, `medistill-${name}`, serviceLog);
  const admin = kafka.admin();
  const created = await startStep(`cannot reach Kafka at ${config.kafkaBrokers.join(',')}`, async () => {
    await admin.connect();
    return ensureTopics(admin, [...topics, ...topics.map(dlqTopic)], config.topicPartitions, config.topicReplication);
  });
  if (created.length) serviceLog(`${name}: created topics ${created.join(', ')}`);
  const auth = config.registryUsername && config.registryPassword ? { username: config.registryUsername, password: config.registryPassword } : undefined;
  const codec = createAvroCodec({ registryUrl: config.registryUrl, auth });
  await startStep(`cannot register the schemas at ${config.registryUrl}`, () => codec.registerAll(topics));
  return { kafka, admin, codec, registryProbe: startRegistryProbe({ registryUrl: config.registryUrl, auth }) };
}

/** The /readyz answer of a service: connected to Kafka, and the registry answering. */
export function readiness(kafkaConnected: boolean, probe: RegistryProbe): { ok: boolean; reason?: string } {
  if (!kafkaConnected) return { ok: false, reason: 'not connected to Kafka' };
  if (!probe.ok) return { ok: false, reason: probe.reason ?? 'schema registry unreachable' };
  return { ok: true };
}
