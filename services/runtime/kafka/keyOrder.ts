/** Runs tasks concurrently except that tasks of one key run one after another, in the order given. */
export interface KeyOrder {
  /** Starts `task` now, or once the previous task of `key` settled; a null key never waits. `task` must not reject. */
  run(key: string | null, task: () => Promise<void>): void;
  /** Keys with a task running or waiting (as bounded as the callers' in-flight work). */
  readonly size: number;
}

/**
 * Creates a per-key serializer: the runners start every record at once (their gate bounds how many)
 * but chain the records of one key, so a paper's versions and its tombstone leave in the order they
 * came. Only the last task of each key is remembered, and forgotten once it settled.
 * @example const order = createKeyOrder(); order.run(pmid, () => handle(record));
 */
export function createKeyOrder(): KeyOrder {
  const tails = new Map<string, Promise<void>>();
  return {
    run(key, task) {
      if (key === null) {
        void task();
        return;
      }
      const previous = tails.get(key);
      const current = previous === undefined ? task() : previous.then(task);
      tails.set(key, current);
      void current.then(() => {
        if (tails.get(key) === current) tails.delete(key);
      });
    },
    get size() {
      return tails.size;
    },
  };
}
