import { ContractError } from '../errors/medistillErrors.ts';
import { ITEM_TYPES, type ItemType } from '../model/qaItem.ts';
import { UNPAIRED_REASONS, type PreferenceSide, type RecordPreferences, type UnpairedReason } from '../model/preferencePair.ts';
import { copyLineage, type Lineage } from './lineage.ts';
import { fromProvenanceValue, toProvenanceValue } from './qaCandidateMapping.ts';
import { SCHEMA_VERSION, type PreferenceSideValue, type RecordPreferencesMessage } from './topicMessages.ts';

function toSideValue(s: PreferenceSide): PreferenceSideValue {
  return {
    itemId: s.itemId,
    type: s.type,
    text: s.text,
    generator: toProvenanceValue(s.generator),
    scores: Object.fromEntries(Object.entries(s.scores).map(([k, v]) => [k, { score: v.score, reason: v.reason }])),
    combined: s.combined,
    verdict: s.verdict,
    rejectReasons: [...s.rejectReasons],
  };
}

function fromSideValue(v: PreferenceSideValue, pmid: string): PreferenceSide {
  if (!(ITEM_TYPES as readonly string[]).includes(v.type)) throw new ContractError('invalid_value', `preferences of PMID ${pmid}: unknown item type "${v.type}"`);
  if (v.verdict !== 'accept' && v.verdict !== 'reject') throw new ContractError('invalid_value', `preferences of PMID ${pmid}: unknown verdict "${v.verdict}"`);
  return {
    itemId: v.itemId,
    type: v.type as ItemType,
    text: v.text,
    generator: fromProvenanceValue(v.generator),
    scores: Object.fromEntries(Object.entries(v.scores).map(([k, s]) => [k, { score: s.score, reason: s.reason }])),
    combined: v.combined,
    verdict: v.verdict,
    rejectReasons: [...v.rejectReasons],
  };
}

/** The qa.preferences.v1 value of one judged PMID version's pairs (one message per judgement, even with none). */
export function toRecordPreferencesValue(p: RecordPreferences, lineage: Lineage): RecordPreferencesMessage {
  return {
    schemaVersion: SCHEMA_VERSION,
    pmid: p.pmid,
    pmidVersion: p.pmidVersion,
    outcome: p.outcome,
    margin: p.margin,
    scoring: p.scoring,
    pairs: p.pairs.map((pair) => ({
      id: pair.id,
      targetUi: pair.target.descriptorUi,
      targetName: pair.target.name,
      targetTreeNumbers: [...pair.target.treeNumbers],
      prompt: pair.prompt,
      chosen: toSideValue(pair.chosen),
      rejected: toSideValue(pair.rejected),
      margin: pair.margin,
      reasons: [...pair.reasons],
    })),
    unpaired: p.unpaired.map((u) => ({ targetUi: u.targetUi, reason: u.reason, detail: u.detail })),
    meshVersion: p.meshVersion,
    lineage: copyLineage(lineage),
  };
}

/** The pairs carried by a qa.preferences.v1 value; throws ContractError on an item type, verdict or reason this code does not know. */
export function fromRecordPreferencesValue(v: RecordPreferencesMessage): RecordPreferences {
  return {
    pmid: v.pmid,
    pmidVersion: v.pmidVersion,
    outcome: v.outcome,
    margin: v.margin,
    scoring: v.scoring,
    pairs: v.pairs.map((pair) => ({
      id: pair.id,
      pmid: v.pmid,
      pmidVersion: v.pmidVersion,
      target: { descriptorUi: pair.targetUi, name: pair.targetName, treeNumbers: [...pair.targetTreeNumbers] },
      prompt: pair.prompt,
      chosen: fromSideValue(pair.chosen, v.pmid),
      rejected: fromSideValue(pair.rejected, v.pmid),
      margin: pair.margin,
      reasons: [...pair.reasons],
    })),
    unpaired: v.unpaired.map((u) => {
      if (!(UNPAIRED_REASONS as readonly string[]).includes(u.reason)) {
        throw new ContractError('invalid_value', `preferences of PMID ${v.pmid}: unknown unpaired reason "${u.reason}"`);
      }
      return { targetUi: u.targetUi, reason: u.reason as UnpairedReason, detail: u.detail };
    }),
    meshVersion: v.meshVersion,
  };
}
