/**
 * The Avro contracts of the topics, built from named parts so that a type shared by several topics
 * (a PubMed record inside an annotated record, a candidate inside a judgement) is written once.
 * `npx tsx services/contracts/writeSchemaFiles.ts` writes them to schemas/*.avsc; a test proves the files match this code.
 */

export type AvroSchema = string | AvroSchema[] | { [key: string]: unknown };

const NS = 'org.medistill.v1';
const optional = (type: AvroSchema) => ({ type: ['null', type], default: null });
const str = 'string';
const strings = { type: 'array', items: 'string' };

const lineage = {
  type: 'record',
  name: 'Lineage',
  doc: 'Which service and code version produced the message, and when.',
  fields: [
    { name: 'service', type: str },
    { name: 'codeVersion', type: str },
    { name: 'producedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
};

const pubmedRecord = {
  type: 'record',
  name: 'PubmedRecord',
  doc: 'A PubMed citation as parsed from PubMed XML. A DeleteCitation travels as a tombstone (null value) under the PMID key.',
  fields: [
    { name: 'schemaVersion', type: 'int', default: 1 },
    { name: 'pmid', type: str },
    { name: 'version', type: 'int', default: 1 },
    { name: 'recordType', type: { type: 'enum', name: 'RecordType', symbols: ['PubmedArticle', 'PubmedBookArticle'] } },
    { name: 'title', type: str },
    {
      name: 'abstract',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'AbstractSection',
          fields: [
            { name: 'label', ...optional(str) },
            { name: 'nlmCategory', ...optional(str) },
            { name: 'text', type: str },
          ],
        },
      },
    },
    { name: 'languages', type: strings },
    {
      name: 'journal',
      ...optional({
        type: 'record',
        name: 'Journal',
        fields: [
          { name: 'title', type: str },
          { name: 'isoAbbreviation', ...optional(str) },
          { name: 'issn', ...optional(str) },
        ],
      }),
    },
    {
      name: 'pubDate',
      type: {
        type: 'record',
        name: 'PublicationDate',
        fields: [
          { name: 'year', ...optional('int') },
          { name: 'month', ...optional('int') },
          { name: 'day', ...optional('int') },
          { name: 'raw', type: str },
        ],
      },
    },
    { name: 'articleIds', type: { type: 'map', values: str } },
    { name: 'publicationTypes', type: strings },
    { name: 'keywords', type: strings },
    {
      name: 'chemicals',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Chemical',
          fields: [
            { name: 'registryNumber', type: str },
            { name: 'name', type: str },
            { name: 'ui', ...optional(str) },
          ],
        },
      },
    },
    {
      name: 'meshHeadings',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'MeshHeading',
          fields: [
            { name: 'descriptorUi', type: str },
            { name: 'descriptorName', type: str },
            { name: 'majorTopic', type: 'boolean' },
            {
              name: 'qualifiers',
              type: {
                type: 'array',
                items: {
                  type: 'record',
                  name: 'MeshQualifier',
                  fields: [
                    { name: 'ui', type: str },
                    { name: 'name', type: str },
                    { name: 'majorTopic', type: 'boolean' },
                  ],
                },
              },
            },
          ],
        },
      },
    },
    { name: 'status', ...optional(str) },
    { name: 'source', type: str },
    { name: 'lineage', type: lineage },
  ],
};

const meshSource = { type: 'enum', name: 'MeshSource', symbols: ['nlm', 'dictionary', 'llm', 'neighbours'] };

const meshTerm = {
  type: 'record',
  name: 'MeshTerm',
  fields: [
    { name: 'descriptorUi', type: str },
    { name: 'name', type: str },
    { name: 'source', type: meshSource },
    { name: 'score', type: 'double' },
    { name: 'majorTopic', type: 'boolean' },
    { name: 'treeNumbers', type: strings },
    { name: 'ancestors', type: strings },
    { name: 'matches', ...optional(strings) },
  ],
};

const annotatedRecord = {
  type: 'record',
  name: 'AnnotatedRecord',
  doc: 'A PubMed record with its MeSH descriptors, tree numbers and ancestors.',
  fields: [
    { name: 'schemaVersion', type: 'int', default: 1 },
    { name: 'record', type: pubmedRecord },
    { name: 'mesh', type: { type: 'array', items: meshTerm } },
    { name: 'meshVersion', type: str },
    {
      name: 'annotator',
      type: { type: 'record', name: 'Annotator', fields: [{ name: 'name', type: str }, { name: 'version', type: str }] },
    },
    { name: 'lineage', type: 'Lineage' },
  ],
};

const provenance = {
  type: 'record',
  name: 'Provenance',
  doc: 'The backend, code version, prompt version and model behind an item or a verdict.',
  fields: [
    { name: 'backend', type: { type: 'enum', name: 'Backend', symbols: ['rule_based', 'llm'] } },
    { name: 'name', type: str },
    { name: 'version', type: str },
    { name: 'promptVersion', type: str },
    { name: 'model', ...optional(str) },
    { name: 'cached', type: 'boolean', default: false, doc: 'True when the LLM answer came from the response cache' },
  ],
};

const optionLabel = { type: 'enum', name: 'OptionLabel', symbols: ['A', 'B', 'C', 'D', 'E'] };

const qaCandidate = {
  type: 'record',
  name: 'QaCandidate',
  fields: [
    { name: 'id', type: str },
    { name: 'pmid', type: str },
    { name: 'pmidVersion', type: 'int' },
    { name: 'type', type: { type: 'enum', name: 'ItemType', symbols: ['open', 'yes_no_maybe', 'multiple_choice'] } },
    { name: 'question', type: str },
    { name: 'answer', type: str },
    { name: 'longAnswer', ...optional(str) },
    {
      name: 'options',
      ...optional({
        type: 'array',
        items: { type: 'record', name: 'QaOption', fields: [{ name: 'label', type: optionLabel }, { name: 'text', type: str }] },
      }),
    },
    { name: 'context', type: str },
    {
      name: 'target',
      type: {
        type: 'record',
        name: 'MeshTarget',
        fields: [
          { name: 'descriptorUi', type: str },
          { name: 'name', type: str },
          { name: 'treeNumbers', type: strings },
          { name: 'branches', type: strings },
          { name: 'source', type: meshSource },
        ],
      },
    },
    { name: 'paperMesh', type: strings },
    { name: 'generator', type: provenance },
    { name: 'createdAt', type: str },
  ],
};

const itemFailure = {
  type: 'record',
  name: 'ItemFailure',
  fields: [
    { name: 'reason', type: str },
    { name: 'message', type: str },
  ],
};

const recordOutcome = {
  type: 'enum',
  name: 'RecordOutcome',
  doc: 'What the stage made of the record; every input PMID version yields exactly one message downstream.',
  symbols: ['candidates', 'no_abstract', 'no_candidates', 'failed'],
  default: 'failed',
};

const recordCandidates = {
  type: 'record',
  name: 'RecordCandidates',
  doc: 'All candidates generated for one PMID version (possibly none, with the reason).',
  fields: [
    { name: 'schemaVersion', type: 'int', default: 1 },
    { name: 'pmid', type: str },
    { name: 'pmidVersion', type: 'int' },
    { name: 'outcome', type: recordOutcome },
    { name: 'items', type: { type: 'array', items: qaCandidate } },
    { name: 'failures', type: { type: 'array', items: itemFailure } },
    { name: 'meshVersion', type: str },
    { name: 'lineage', type: lineage },
  ],
};

const criterionScore = {
  type: 'record',
  name: 'CriterionScore',
  fields: [
    { name: 'score', type: 'double' },
    { name: 'reason', type: str },
  ],
};

const judgedItem = {
  type: 'record',
  name: 'JudgedItem',
  fields: [
    { name: 'candidate', type: qaCandidate },
    {
      name: 'scores',
      type: {
        type: 'record',
        name: 'Scores',
        fields: [
          ...['grounded', 'answerable', 'correct', 'clear', 'hierarchy'].map((c) => ({
            name: c,
            type: c === 'grounded' ? criterionScore : 'CriterionScore',
          })),
          // Added later: readers of older judgements see it as not computed.
          { name: 'retrieval', type: 'CriterionScore', default: { score: 0, reason: 'not computed' } },
        ],
      },
    },
    { name: 'hierarchyFormula', type: str },
    {
      name: 'voc',
      ...optional({
        type: 'record',
        name: 'VerificationOfChoice',
        fields: [
          {
            name: 'options',
            type: {
              type: 'array',
              items: {
                type: 'record',
                name: 'OptionVerdict',
                fields: [
                  { name: 'label', type: 'OptionLabel' },
                  { name: 'argument', type: str },
                  { name: 'supported', type: 'boolean' },
                ],
              },
            },
          },
          { name: 'survivors', type: { type: 'array', items: 'OptionLabel' } },
          { name: 'passed', type: 'boolean' },
        ],
      }),
    },
    { name: 'verdict', type: { type: 'enum', name: 'Verdict', symbols: ['accept', 'reject'] } },
    { name: 'rejectReasons', type: strings },
    { name: 'judge', type: 'Provenance' },
    { name: 'judgedAt', type: str },
    { name: 'retrievedPmids', type: strings, default: [], doc: 'Documents retrieved for the question from the literature index, best first: its supporting context' },
  ],
};

const recordJudgement = {
  type: 'record',
  name: 'RecordJudgement',
  doc: 'Every candidate of one PMID version with its scores and verdict; the export keeps the newest judgement of each PMID.',
  fields: [
    { name: 'schemaVersion', type: 'int', default: 1 },
    { name: 'pmid', type: str },
    { name: 'pmidVersion', type: 'int' },
    { name: 'outcome', type: recordOutcome },
    { name: 'items', type: { type: 'array', items: judgedItem } },
    { name: 'failures', type: { type: 'array', items: itemFailure } },
    { name: 'meshVersion', type: str },
    { name: 'lineage', type: lineage },
  ],
};

const recordPreferences = {
  type: 'record',
  name: 'RecordPreferences',
  doc: 'The preference pairs of one judged PMID version (possibly none, with why each target gave none); the export keeps the newest set of each PMID.',
  fields: [
    { name: 'schemaVersion', type: 'int', default: 1 },
    { name: 'pmid', type: str },
    { name: 'pmidVersion', type: 'int' },
    { name: 'outcome', type: { type: 'enum', name: 'PreferenceOutcome', symbols: ['pairs', 'no_pairs'], default: 'no_pairs' } },
    { name: 'margin', type: 'double' },
    { name: 'scoring', type: str },
    {
      name: 'pairs',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'PreferencePair',
          fields: [
            { name: 'id', type: str },
            { name: 'targetUi', type: str },
            { name: 'targetName', type: str },
            { name: 'targetTreeNumbers', type: strings },
            { name: 'prompt', type: str },
            {
              name: 'chosen',
              type: {
                type: 'record',
                name: 'PreferenceSide',
                fields: [
                  { name: 'itemId', type: str },
                  { name: 'type', type: str },
                  { name: 'text', type: str },
                  { name: 'generator', type: provenance },
                  { name: 'scores', type: { type: 'map', values: criterionScore } },
                  { name: 'combined', type: 'double' },
                  { name: 'verdict', type: str },
                  { name: 'rejectReasons', type: strings },
                ],
              },
            },
            { name: 'rejected', type: 'PreferenceSide' },
            { name: 'margin', type: 'double' },
            { name: 'reasons', type: strings },
          ],
        },
      },
    },
    {
      name: 'unpaired',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'UnpairedTarget',
          fields: [
            { name: 'targetUi', type: str },
            { name: 'reason', type: str },
            { name: 'detail', type: str },
          ],
        },
      },
    },
    { name: 'meshVersion', type: str },
    { name: 'lineage', type: lineage },
  ],
};
const deadLetter = {
  type: 'record',
  name: 'DeadLetter',
  doc: 'A message a stage could not process, with where it came from and why. The same facts travel as headers.',
  fields: [
    { name: 'schemaVersion', type: 'int', default: 1 },
    { name: 'originalTopic', type: str },
    { name: 'partition', type: 'int' },
    { name: 'offset', type: str },
    { name: 'key', ...optional('bytes') },
    { name: 'value', ...optional('bytes') },
    { name: 'stage', type: str },
    { name: 'errorClass', type: str },
    { name: 'errorMessage', type: str },
    { name: 'lineage', type: lineage },
  ],
};

function withNamespace(schema: Record<string, unknown>): Record<string, unknown> {
  return { ...schema, namespace: NS };
}

/** Topic names of the pipeline, in flow order. */
export const TOPICS = {
  records: 'pubmed.records.v1',
  annotated: 'pubmed.annotated.v1',
  candidates: 'qa.candidates.v1',
  judged: 'qa.judged.v1',
  preferences: 'qa.preferences.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** The dead-letter topic of a topic. */
export const dlqTopic = (topic: string): string => `${topic}.dlq`;

/** The value schema of each topic, and of dead letters, by file name under schemas/. */
export const AVRO_SCHEMAS: Readonly<Record<string, Record<string, unknown>>> = {
  [TOPICS.records]: withNamespace(pubmedRecord),
  [TOPICS.annotated]: withNamespace(annotatedRecord),
  [TOPICS.candidates]: withNamespace(recordCandidates),
  [TOPICS.judged]: withNamespace(recordJudgement),
  [TOPICS.preferences]: withNamespace(recordPreferences),
  'dead-letter': withNamespace(deadLetter),
};
