import { Subject, concatMap, type Subscription } from 'rxjs';
import { batchByCountOrTime } from '../../operators/batchByCountOrTime.ts';
import { InfrastructureError } from '../../errors/medistillErrors.ts';
import type { MessageHeaders, ProducerPort } from './kafkaPorts.ts';

/** One encoded message to produce. */
export interface OutgoingMessage {
  topic: string;
  key: Buffer | string | null;
  /** null: a tombstone. */
  value: Buffer | null;
  headers?: MessageHeaders;
}

export interface OutputProducer {
  /** Resolves when the broker acknowledged the message (acks=all); rejects with InfrastructureError. */
  send(message: OutgoingMessage): Promise<void>;
  /** Sends what is buffered now and waits for it. */
  flush(): Promise<void>;
}

interface Pending {
  message: OutgoingMessage;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Batches outgoing messages by count or time (RxJS) into one `sendBatch` per batch, one batch at
 * a time, and settles each message's promise with the broker's acknowledgement, so callers can
 * commit their input only after their outputs are safe.
 */
export function createOutputProducer(producer: ProducerPort, options: { batchSize: number; batchMs: number }): OutputProducer {
  const queue = new Subject<Pending>();
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  const settleOne = (): void => {
    inFlight--;
    if (inFlight === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  };
  const subscription: Subscription = queue
    .pipe(
      batchByCountOrTime(options.batchSize, options.batchMs),
      concatMap(async (batch) => {
        const byTopic = new Map<string, OutgoingMessage[]>();
        for (const p of batch) {
          const list = byTopic.get(p.message.topic) ?? [];
          list.push(p.message);
          byTopic.set(p.message.topic, list);
        }
        try {
          await producer.sendBatch([...byTopic].map(([topic, messages]) => ({ topic, messages })));
          for (const p of batch) p.resolve();
        } catch (err) {
          const e = new InfrastructureError(`producing ${batch.length} message(s) failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
          for (const p of batch) p.reject(e);
        } finally {
          for (let i = 0; i < batch.length; i++) settleOne();
        }
      }),
    )
    .subscribe();

  return {
    send(message) {
      if (subscription.closed) return Promise.reject(new InfrastructureError('producer is closed'));
      inFlight++;
      return new Promise<void>((resolve, reject) => queue.next({ message, resolve, reject }));
    },
    flush() {
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
