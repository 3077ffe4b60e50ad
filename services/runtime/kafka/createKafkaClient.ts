import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import type { ServiceConfig } from '../../config/serviceConfig.ts';
import { installRequestQueueTimerFix } from './requestQueueTimer.ts';

/** A kafkajs client from the service configuration (TLS and SASL when configured); quiet unless something is wrong. */
export function createKafkaClient(config: ServiceConfig, clientId: string, log: (line: string) => void): Kafka {
  installRequestQueueTimerFix();
  let sasl: SASLOptions | undefined;
  if (config.kafkaSaslMechanism && config.kafkaSaslUsername && config.kafkaSaslPassword) {
    sasl = { mechanism: config.kafkaSaslMechanism, username: config.kafkaSaslUsername, password: config.kafkaSaslPassword } as SASLOptions;
  }
  const ssl = config.kafkaSsl ? (config.kafkaSslCaFile ? { ca: [readFileSync(config.kafkaSslCaFile, 'utf8')] } : true) : undefined;
  return new Kafka({
    clientId: config.kafkaClientId ?? clientId,
    brokers: [...config.kafkaBrokers],
    ssl,
    sasl,
    logLevel: logLevel.ERROR,
    logCreator: () => (entry) => {
      // kafkajs logs retried coordinator hiccups as errors; keep the one line, never the payloads.
      log(`kafka ${entry.namespace}: ${entry.log.message}`);
    },
  });
}
