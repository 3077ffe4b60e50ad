/**
 * The events a stage runner reports, for metrics to subscribe to. Labels are small fixed sets
 * (topic names, reasons from failurePolicy), never keys or error text.
 */
export interface StageInstruments {
  consumed(topic: string): void;
  produced(topic: string): void;
  processed(topic: string, seconds: number): void;
  batch(size: number): void;
  inFlight(count: number): void;
  paused(paused: boolean): void;
  committed(partitions: number): void;
  deadLettered(reason: string): void;
  retried(reason: string): void;
  duplicate(): void;
}
