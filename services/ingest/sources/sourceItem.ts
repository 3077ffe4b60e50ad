import type { PubmedItem } from '../../model/pubmedRecord.ts';

/**
 * One item handed out by a source. `ack` says every output made from the item is safe downstream (produced
 * and acknowledged, or dead-lettered); a source moves its checkpoint only over fully acknowledged units.
 * Calling `ack` more than once has no further effect.
 */
export interface SourceItem {
  item: PubmedItem;
  ack(): void;
}

/** An item read from a file, with the file it came from. */
export interface FileSourceItem extends SourceItem {
  file: string;
}
