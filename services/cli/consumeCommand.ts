import { parseArgs } from 'node:util';
import { UsageError } from '../errors/medistillErrors.ts';
import { loadServiceConfig } from '../config/serviceConfig.ts';
import { createKafkaClient } from '../runtime/kafka/createKafkaClient.ts';
import { createAvroCodec } from '../contracts/avroCodec.ts';
import { consumedJson, consumeTopic, type ConsumeFrom } from '../runtime/kafka/consumeTopic.ts';
import { positiveInt } from './numericFlags.ts';
import { parseReplayFrom } from './serviceCommands.ts';

export const CONSUME_USAGE = `usage: medistill consume --topic <topic> [--from earliest|latest|<offset>|<time>] [--limit N]
                         [--key PMID] [--timeout-ms N]

Prints the messages of a topic as JSON lines, decoded through the schema registry (like
kafka-avro-console-consumer): topic, partition, offset, timestamp, key, headers (a dead letter's
reason, stage and origin), value; a tombstone has "value": null and "tombstone": true. Reads under a
throwaway consumer group and commits nothing. Kafka and registry settings come from MEDISTILL_*.
  --from        earliest (default), latest, an offset for every partition, or a time (ISO 8601 or ms)
  --limit       stop after N messages
  --key         only messages with this key (a PMID)
  --timeout-ms  stop when no message came for this long (default: run until Ctrl-C)`;

/** Parses --from: "latest" or what replay accepts (earliest, an offset, a time). */
export function parseConsumeFrom(from: string): ConsumeFrom {
  return from === 'latest' ? { kind: 'latest' } : parseReplayFrom(from);
}

/** `medistill consume`: prints a topic's messages decoded, one JSON line each. */
export async function consumeCommand(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv }): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { topic: { type: 'string' }, from: { type: 'string', default: 'earliest' }, limit: { type: 'string' }, key: { type: 'string' }, 'timeout-ms': { type: 'string' } },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${CONSUME_USAGE}`);
  }
  if (!values.topic) throw new UsageError(`--topic is required\n${CONSUME_USAGE}`);
  const from = parseConsumeFrom(values.from ?? 'earliest');
  const limit = values.limit === undefined ? undefined : positiveInt('limit', values.limit, 1);
  const idleMs = values['timeout-ms'] === undefined ? undefined : positiveInt('timeout-ms', values['timeout-ms'], 1);
  const config = loadServiceConfig(io.env);
  const kafka = createKafkaClient(config, 'medistill-consume', (l) => io.stderr.write(`${l}\n`));
  const auth = config.registryUsername && config.registryPassword ? { username: config.registryUsername, password: config.registryPassword } : undefined;
  const codec = createAvroCodec({ registryUrl: config.registryUrl, auth });
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const n = await consumeTopic({ kafka, codec, topic: values.topic, from, limit, key: values.key, idleMs, signal: abort.signal, onMessage: (m) => io.stdout.write(`${consumedJson(m)}\n`) });
    io.stderr.write(`consume: ${n} messages from ${values.topic}\n`);
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
