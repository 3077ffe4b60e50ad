/** A JSON value, as stored in a checkpoint. */
export type CheckpointValue = string | number | boolean | null | CheckpointValue[] | { [key: string]: CheckpointValue };

/**
 * Durable key-value storage for source positions. Keys name a source (e.g. "eutils:all[sb]"); a save
 * replaces the value of its key, so a compacted Kafka topic keyed the same way can implement it too.
 */
export interface CheckpointStore {
  /** The value last saved under `key`, or null when there is none. */
  load(key: string): Promise<CheckpointValue | null>;
  /** Saves `value` under `key`; resolves once it is durable. Saves are applied in call order. */
  save(key: string, value: CheckpointValue): Promise<void>;
}
