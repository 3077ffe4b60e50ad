import { inferAgeGroups } from './inferAgeGroups.ts';

/**
 * Check tags from cue words. Indexers put check tags (Humans, Animals, Male, Female, the age groups,
 * Mice, Rats) on almost every record, yet abstracts seldom write them out: they say "patients",
 * "women", "children", "mice". The rule table below says which words imply which tag.
 *
 * | cue (whole words, any case, singular or plural as listed) | tags |
 * |---|---|
 * | patient(s), participant(s), volunteer(s), people, person(s), individuals, human(s), "homo sapiens", outpatients, inpatients, respondents, consumers, workers, students, nurses, physicians, smokers, caregivers, astronauts; man/men, woman/women, boy(s), girl(s), mother(s), father(s); child/children, schoolchildren, adolescent(s), teenager(s), infant(s), toddler(s), newborns, neonates, adults, "young/older adults", elderly, octogenarians (not the adjectives "adult" or "neonatal": "adult rats") | Humans |
 * | woman/women, girl(s), female(s), mother(s), maternal, pregnant, pregnancy, postmenopausal, ovary/ovarian, uterus/uterine, endometrial, "breast cancer" | Female |
 * | man/men, boy(s), male(s), father(s), paternal, prostate/prostatic, testis/testes/testicular | Male |
 * | mouse/mice, murine | Mice, Animals |
 * | rat(s) | Rats, Animals |
 * | animal(s), dog(s), cat(s), rabbit(s), pig(s), piglets, swine, sheep, cattle, cow(s), calves, monkey(s), macaques, hamster(s), "guinea pig(s)", zebrafish, chicken(s), horse(s) | Animals |
 * | adult(s) (not "older adults", "young adults") | Adult |
 * | "young adult(s)" | Young Adult |
 * | "middle aged", middle-aged, "middle age" | Middle Aged |
 * | elderly, geriatric, "older adults/people/patients/persons/individuals/women/men" | Aged |
 * | octogenarians, nonagenarians, centenarians | Aged, 80 and over |
 * | adolescent(s), adolescence, teenager(s) | Adolescent |
 * | child/children, childhood, schoolchildren | Child |
 * | preschool, toddler(s) | Child, Preschool |
 * | infant(s), infancy | Infant |
 * | newborn(s), neonate(s), neonatal | Infant, Newborn |
 * | numeric ages: "aged 45-64 years", "63-year-old" (see inferAgeGroups.ts) | the age groups they overlap |
 * | a counted group of 10 or more people, "120 patients", "36 adult participants", with no sex cue anywhere | Male, Female |
 *
 * Guards, because MeSH age groups describe people only: an age-group cue counts only when the text
 * speaks of people (a Humans cue above, plural age nouns such as "children" or "adults" included) and
 * of no animal ("adult rats", "neonatal mice" and "8-week-old mice" give no age group). Sex cues apply to animals as well ("male rats" is Male).
 * A counted group of ten or more people whose sex the text never restricts almost surely holds both
 * sexes, and indexers tag both; any sex cue ("women", "prostate") turns that rule off.
 */

/** A check tag implied by the text, with the cue that implied it as written. */
export interface CheckTagHit {
  ui: string;
  cue: string;
}

const HUMANS = 'D006801';
const ANIMALS = 'D000818';
const FEMALE = 'D005260';
const MALE = 'D008297';
const MICE = 'D051379';
const RATS = 'D051381';
const ADULT = 'D000328';
const YOUNG_ADULT = 'D055815';
const MIDDLE_AGED = 'D008875';
const AGED = 'D000368';
const AGED_80 = 'D000369';
const ADOLESCENT = 'D000293';
const CHILD = 'D002648';
const PRESCHOOL = 'D002675';
const INFANT = 'D007223';
const NEWBORN = 'D007231';

/** Whether a cue speaks of people, of animals, or of an age group (which needs a people cue beside it). */
type CueKind = 'people' | 'animal' | 'age' | 'sex';

interface Rule {
  cues: readonly string[];
  tags: readonly string[];
  kind: CueKind;
}

/** The rule table (see the file comment); a multi-word cue matches its words separated by spaces or hyphens. */
export const CHECK_TAG_RULES: readonly Rule[] = [
  {
    kind: 'people',
    tags: [HUMANS],
    cues: [
      'patient', 'patients', 'participant', 'participants', 'volunteer', 'volunteers', 'people', 'person', 'persons',
      'human', 'humans', 'homo sapiens', 'individuals', 'outpatients', 'inpatients', 'respondents', 'consumers',
      'workers', 'students', 'nurses', 'physicians', 'smokers', 'caregivers', 'astronauts',
    ],
  },
  { kind: 'people', tags: [HUMANS, FEMALE], cues: ['woman', 'women', 'girl', 'girls', 'mother', 'mothers'] },
  { kind: 'people', tags: [HUMANS, MALE], cues: ['man', 'men', 'boy', 'boys', 'father', 'fathers'] },
  {
    kind: 'sex',
    tags: [FEMALE],
    cues: [
      'female', 'females', 'maternal', 'pregnant', 'pregnancy', 'pregnancies', 'postmenopausal', 'ovary', 'ovaries',
      'ovarian', 'uterus', 'uterine', 'endometrial', 'breast cancer',
    ],
  },
  { kind: 'sex', tags: [MALE], cues: ['male', 'males', 'paternal', 'prostate', 'prostatic', 'testis', 'testes', 'testicular'] },
  { kind: 'animal', tags: [MICE, ANIMALS], cues: ['mouse', 'mice', 'murine', 'mus musculus'] },
  { kind: 'animal', tags: [RATS, ANIMALS], cues: ['rat', 'rats', 'rattus'] },
  {
    kind: 'animal',
    tags: [ANIMALS],
    cues: [
      'animal', 'animals', 'dog', 'dogs', 'cat', 'cats', 'rabbit', 'rabbits', 'pig', 'pigs', 'piglets', 'swine', 'sheep',
      'cattle', 'cow', 'cows', 'calves', 'monkey', 'monkeys', 'macaques', 'hamster', 'hamsters', 'guinea pig',
      'guinea pigs', 'zebrafish', 'chicken', 'chickens', 'horse', 'horses',
    ],
  },
  { kind: 'age', tags: [YOUNG_ADULT], cues: ['young adult', 'young adults'] },
  { kind: 'age', tags: [ADULT], cues: ['adult', 'adults'] },
  { kind: 'age', tags: [MIDDLE_AGED], cues: ['middle aged', 'middle age'] },
  {
    kind: 'age',
    tags: [AGED],
    cues: [
      'elderly', 'geriatric', 'older adults', 'older people', 'older patients', 'older persons', 'older individuals',
      'older women', 'older men',
    ],
  },
  { kind: 'age', tags: [AGED_80], cues: ['octogenarians', 'nonagenarians', 'centenarians'] },
  { kind: 'age', tags: [ADOLESCENT], cues: ['adolescent', 'adolescents', 'adolescence', 'teenager', 'teenagers'] },
  { kind: 'age', tags: [CHILD], cues: ['child', 'children', 'childhood', 'schoolchildren'] },
  { kind: 'age', tags: [PRESCHOOL], cues: ['preschool', 'toddler', 'toddlers'] },
  { kind: 'age', tags: [INFANT], cues: ['infant', 'infants', 'infancy'] },
  { kind: 'age', tags: [NEWBORN], cues: ['newborn', 'newborns', 'neonate', 'neonates', 'neonatal'] },
];

/** Every descriptor a rule can give; annotate leaves these to the rules rather than to text matches. */
export const CHECK_TAG_UIS: ReadonlySet<string> = new Set(CHECK_TAG_RULES.flatMap((r) => r.tags));

/** Age words that speak of people too, so they count as a Humans cue ("children", "adults"; not "adult" or "neonatal"). */
const PEOPLE_AGE_WORDS: ReadonlySet<string> = new Set([
  'children', 'child', 'schoolchildren', 'adolescents', 'adolescent', 'teenagers', 'teenager', 'infants', 'infant',
  'toddlers', 'toddler', 'newborns', 'neonates', 'adults', 'young adults', 'young adult', 'elderly', 'older adults',
  'older people', 'older patients', 'older persons', 'older individuals', 'older women', 'older men', 'octogenarians',
  'nonagenarians', 'centenarians',
]);

/** Output order: species and sexes first, then the age groups from the youngest. */
const TAG_ORDER: readonly string[] = [
  HUMANS, ANIMALS, MICE, RATS, FEMALE, MALE, NEWBORN, INFANT, PRESCHOOL, CHILD, ADOLESCENT, YOUNG_ADULT, ADULT,
  MIDDLE_AGED, AGED, AGED_80,
];

/** "120 patients", "1,024 adult participants", "36 newly diagnosed cases": a number, up to three words, a people noun. */
const COUNTED_PEOPLE =
  /(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)\s+(?:(?!(?:for|of|in|on|at|to|by|per|from|with|and|or|than|vs)\b)[a-z-]+\s+){0,3}?(?:patients|participants|subjects|individuals|adults|children|persons|people|volunteers|cases|outpatients|inpatients|respondents)\b/gi;
const MIN_COHORT = 10;

function countedGroup(texts: readonly string[]): string | null {
  for (const text of texts) {
    COUNTED_PEOPLE.lastIndex = 0;
    for (let m = COUNTED_PEOPLE.exec(text); m !== null; m = COUNTED_PEOPLE.exec(text)) {
      if (Number((m[1] as string).replace(/,/g, '')) >= MIN_COHORT) return m[0];
    }
  }
  return null;
}

interface CueEntry {
  tags: readonly string[];
  kind: CueKind;
}

interface CueIndex {
  byCue: Map<string, CueEntry>;
  /**
   * Every cue as one alternation, longest first, so a phrase wins over a word inside it ("older adults"
   * is Aged, not also Adult). One regex pass is several times faster than cutting the text into words.
   */
  pattern: RegExp;
  rank: Map<string, number>;
}

let cueIndex: CueIndex | null = null;

function index(): CueIndex {
  if (cueIndex) return cueIndex;
  const byCue = new Map<string, CueEntry>();
  const rank = new Map(TAG_ORDER.map((ui, i) => [ui, i]));
  for (const rule of CHECK_TAG_RULES) for (const cue of rule.cues) byCue.set(cue, { tags: rule.tags, kind: rule.kind });
  const alternatives = [...byCue.keys()]
    .sort((x, y) => y.length - x.length)
    .map((cue) => cue.split(' ').join(String.raw`[\s\-]+`));
  const pattern = new RegExp(String.raw`\b(?:${alternatives.join('|')})\b`, 'gi');
  return (cueIndex = { byCue, pattern, rank });
}

/**
 * Check tags implied by `texts` (title and abstract sections), species and sexes first, then age
 * groups from the youngest, each with the first cue that implied it, as written. Only tags `known`
 * accepts are returned (the loaded vocabulary may lack some).
 *
 * @example inferCheckTags(['Sixty women aged 45-64 years...'], (ui) => vocab.get(ui) !== undefined)
 * // Humans (women), Female (women), Middle Aged (aged 45-64 years)
 */
export function inferCheckTags(texts: readonly string[], known: (ui: string) => boolean): CheckTagHit[] {
  const { byCue, pattern, rank } = index();
  const found = new Map<string, string>();
  const ageFound = new Map<string, string>();
  let peopleAgeCue: string | null = null;
  let people = false;
  let animal = false;
  for (const text of texts) {
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      const cue = m[0];
      const key = cue.toLowerCase().replace(/[\s-]+/g, ' ');
      const entry = byCue.get(key);
      if (!entry) continue;
      if (entry.kind === 'people') people = true;
      if (entry.kind === 'animal') animal = true;
      if (entry.kind === 'age' && PEOPLE_AGE_WORDS.has(key)) {
        people = true;
        peopleAgeCue ??= cue;
      }
      const into = entry.kind === 'age' ? ageFound : found;
      for (const ui of entry.tags) if (!into.has(ui)) into.set(ui, cue);
    }
  }
  if (peopleAgeCue !== null && !found.has(HUMANS)) found.set(HUMANS, peopleAgeCue);
  if (found.has(HUMANS) && !found.has(FEMALE) && !found.has(MALE)) {
    const group = countedGroup(texts);
    if (group !== null) {
      found.set(FEMALE, group);
      found.set(MALE, group);
    }
  }
  if (people && !animal) {
    for (const [ui, cue] of ageFound) if (!found.has(ui)) found.set(ui, cue);
    for (const hit of inferAgeGroups(texts)) if (!found.has(hit.ui)) found.set(hit.ui, hit.cue);
  }
  return [...found.entries()]
    .filter(([ui]) => known(ui))
    .sort((a, b) => (rank.get(a[0]) ?? rank.size) - (rank.get(b[0]) ?? rank.size))
    .map(([ui, cue]) => ({ ui, cue }));
}
