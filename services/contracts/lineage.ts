/** Which service and code version produced a message, and when (Avro `timestamp-millis`, read as a Date). */
export interface Lineage {
  service: string;
  codeVersion: string;
  producedAt: Date;
}

/** The lineage of a message produced now (or at `now`, for tests and replays). */
export function createLineage(service: string, codeVersion: string, now: Date = new Date()): Lineage {
  return { service, codeVersion, producedAt: new Date(now.getTime()) };
}

/** A copy of a lineage with its own Date, so a value never shares mutable state with its source. */
export function copyLineage(lineage: Lineage): Lineage {
  return createLineage(lineage.service, lineage.codeVersion, lineage.producedAt);
}
