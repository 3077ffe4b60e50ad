import type { KafkaRunner } from './kafkaRunner.ts';

/**
 * Several stage runners as one service: a sink that consumes two topics into one store (export
 * takes qa.judged.v1 and qa.preferences.v1) runs a runner per topic, each with its own consumer
 * group, commits and in-flight bound, sharing the store. Start starts them in order; stop drains
 * them all; when one crashes the others are stopped at once and `done` rejects with its error, so
 * the service exits non-zero and every topic is redelivered from its last commit.
 * @example const runner = combineRunners([judgedRunner, preferencesRunner]);
 */
export function combineRunners(runners: readonly KafkaRunner[]): KafkaRunner {
  if (runners.length === 0) throw new RangeError('combineRunners needs at least one runner');
  if (runners.length === 1) return runners[0]!;
  const stopAll = (timeoutMs: number): Promise<void> => Promise.all(runners.map((r) => r.stop(timeoutMs))).then(() => undefined);
  const done = new Promise<void>((resolve, reject) => {
    let finished = 0;
    let failed = false;
    for (const r of runners) {
      r.done.then(
        () => {
          if (++finished === runners.length && !failed) resolve();
        },
        (err: unknown) => {
          if (failed) return;
          failed = true;
          void stopAll(0).finally(() => reject(err));
        },
      );
    }
  });
  // A crash is reported through `done`; an unobserved rejection must not end the process early.
  done.catch(() => undefined);
  return {
    async start() {
      for (const r of runners) await r.start();
    },
    stop: stopAll,
    done,
    gate: runners[0]!.gate,
    get connected() {
      return runners.every((r) => r.connected);
    },
  };
}
