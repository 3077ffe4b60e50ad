import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMeshVocabulary } from '../../../services/mesh/loadMeshVocabulary.ts';
import { MeshLoadError } from '../../../services/errors/medistillErrors.ts';
import { DESC_FIXTURE } from './fixtureVocabulary.ts';

let dir: string;
let fixtureXml: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medistill-mesh-'));
  fixtureXml = await readFile(DESC_FIXTURE);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadError(path: string): Promise<MeshLoadError> {
  const err = await loadMeshVocabulary(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MeshLoadError);
  const e = err as MeshLoadError;
  expect(e.message).toContain(path);
  expect(e.message).not.toContain('\n');
  expect(e.retriable).toBe(false);
  return e;
}

/** A DescriptorRecordSet of `n` synthetic records, big enough to cross several 1 MiB read chunks. */
function syntheticSet(n: number): string {
  const parts = ['<?xml version="1.0"?>\n<DescriptorRecordSet LanguageCode="eng">\n'];
  for (let i = 0; i < n; i++) {
    const ui = `D9${String(i).padStart(6, '0')}`;
    parts.push(
      `<DescriptorRecord DescriptorClass="1">\n<DescriptorUI>${ui}</DescriptorUI>\n<DescriptorName><String>Synthetic Term ${i}</String></DescriptorName>\n`,
      `<ScopeNote>${'padding text '.repeat(40)}</ScopeNote>\n`,
      `<TreeNumberList><TreeNumber>X${String(i % 90).padStart(2, '0')}.${String(i).padStart(6, '0')}</TreeNumber></TreeNumberList>\n`,
      `<ConceptList><Concept PreferredConceptYN="Y"><ConceptUI>M9${i}</ConceptUI><ConceptName><String>Synthetic Term ${i}</String></ConceptName><TermList>\n`,
      `<Term ConceptPreferredTermYN="Y" IsPermutedTermYN="N" LexicalTag="NON" RecordPreferredTermYN="Y"><TermUI>T9${i}</TermUI><String>Synthetic Term ${i}</String></Term>\n`,
      `<Term ConceptPreferredTermYN="N" IsPermutedTermYN="N" LexicalTag="NON" RecordPreferredTermYN="N"><TermUI>T8${i}</TermUI><String>Term &amp; Synonym ${i}</String></Term>\n`,
      '</TermList></Concept></ConceptList>\n</DescriptorRecord>\n',
    );
  }
  parts.push('</DescriptorRecordSet>\n');
  return parts.join('');
}

describe('loadMeshVocabulary', () => {
  it('loads every descriptor of the fixture with its name, tree numbers and terms', async () => {
    const vocab = await loadMeshVocabulary(DESC_FIXTURE);
    expect(vocab.size).toBe(36);
    expect(vocab.version).toBe('desc-fixture.xml (36 descriptors)');
    const mi = vocab.get('D009203');
    expect(mi?.name).toBe('Myocardial Infarction');
    expect(mi?.treeNumbers).toEqual(['C14.280.647.500', 'C14.907.585.500', 'C23.550.513.355.750', 'C23.550.717.489.750']);
    expect(mi?.terms.map((t) => t.text)).toEqual(['Myocardial Infarction', 'Infarction, Myocardial', 'Cardiovascular Stroke', 'Heart Attack']);
  });

  it('reads the record UI, not the UIs of related descriptors or qualifiers inside the record', async () => {
    const vocab = await loadMeshVocabulary(DESC_FIXTURE);
    // Aspirin's record mentions D000894 in its PharmacologicalActionList; MI's mentions D006331 in SeeRelatedList.
    expect(vocab.get('D001241')?.name).toBe('Aspirin');
    expect(vocab.get('D000894')).toBeUndefined();
    expect(vocab.get('D006331')?.name).toBe('Heart Diseases');
    // Qualifier names ("blood", "diagnosis") are not entry terms.
    expect(vocab.get('D002318')?.terms.map((t) => t.text)).not.toContain('blood');
  });

  it('sets the record-preferred, concept-preferred and preferred-concept flags per term', async () => {
    const vocab = await loadMeshVocabulary(DESC_FIXTURE);
    const terms = vocab.get('D002318')?.terms ?? [];
    expect(terms.find((t) => t.text === 'Cardiovascular Diseases')).toEqual({
      text: 'Cardiovascular Diseases', recordPreferred: true, conceptPreferred: true, preferredConcept: true,
    });
    expect(terms.find((t) => t.text === 'Disease, Cardiovascular')).toEqual({
      text: 'Disease, Cardiovascular', recordPreferred: false, conceptPreferred: false, preferredConcept: true,
    });
    expect(terms.find((t) => t.text === 'Major Adverse Cardiac Events')).toEqual({
      text: 'Major Adverse Cardiac Events', recordPreferred: false, conceptPreferred: true, preferredConcept: false,
    });
  });

  it('decodes XML entities in strings', async () => {
    const vocab = await loadMeshVocabulary(DESC_FIXTURE);
    expect(vocab.get('D002637')?.terms.map((t) => t.text)).toContain("Texidor's Twinge");
  });

  it('loads a gzipped copy, detected by its magic bytes whatever the file name, to the same vocabulary', async () => {
    const path = join(dir, 'desc-fixture.data');
    await writeFile(path, gzipSync(fixtureXml));
    const gz = await loadMeshVocabulary(path);
    const plain = await loadMeshVocabulary(DESC_FIXTURE);
    expect(gz.size).toBe(plain.size);
    expect([...gz.descriptors()]).toEqual([...plain.descriptors()]);
  });

  it('loads records cut across read chunks in a multi-megabyte file, plain and gzipped', async () => {
    const xml = syntheticSet(6000);
    expect(xml.length).toBeGreaterThan(3 * 1024 * 1024);
    const plainPath = join(dir, 'big.xml');
    const gzPath = join(dir, 'big.xml.gz');
    await writeFile(plainPath, xml);
    await writeFile(gzPath, gzipSync(xml));
    for (const path of [plainPath, gzPath]) {
      const vocab = await loadMeshVocabulary(path);
      expect(vocab.size).toBe(6000);
      for (const i of [0, 1234, 2999, 5999]) {
        const d = vocab.get(`D9${String(i).padStart(6, '0')}`);
        expect(d?.name).toBe(`Synthetic Term ${i}`);
        expect(d?.terms[1]?.text).toBe(`Term & Synonym ${i}`);
        expect(d?.treeNumbers).toEqual([`X${String(i % 90).padStart(2, '0')}.${String(i).padStart(6, '0')}`]);
      }
    }
  });

  it('fails with a not_found error naming the file when it does not exist', async () => {
    const e = await loadError(join(dir, 'no-such-desc2024.xml'));
    expect(e.reason).toBe('not_found');
    expect(e.message).toMatch(/not found/);
  });

  it('fails with a not_mesh error for an XML file that is not a DescriptorRecordSet', async () => {
    const path = join(dir, 'pubmed.xml');
    await writeFile(path, '<?xml version="1.0"?>\n<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID Version="1">1</PMID></MedlineCitation></PubmedArticle></PubmedArticleSet>\n');
    const e = await loadError(path);
    expect(e.reason).toBe('not_mesh');
    expect(e.message).toMatch(/DescriptorRecordSet/);
  });

  it('fails with a not_mesh error for an empty file', async () => {
    const path = join(dir, 'empty.xml');
    await writeFile(path, '');
    expect((await loadError(path)).reason).toBe('not_mesh');
  });

  it('fails with a corrupt_gzip error for a gzip file with damaged data', async () => {
    const gz = gzipSync(fixtureXml);
    for (let i = 20; i < gz.length - 20; i += 7) gz[i] = (gz[i] ?? 0) ^ 0x5a;
    const path = join(dir, 'damaged.xml.gz');
    await writeFile(path, gz);
    const e = await loadError(path);
    expect(e.reason).toBe('corrupt_gzip');
    expect(e.message).toMatch(/gzip/);
  });

  it('fails with a corrupt_gzip error for a truncated gzip file', async () => {
    const gz = gzipSync(fixtureXml);
    const path = join(dir, 'truncated.xml.gz');
    await writeFile(path, gz.subarray(0, Math.floor(gz.length / 2)));
    expect((await loadError(path)).reason).toBe('corrupt_gzip');
  });

  it('fails with an empty error for a DescriptorRecordSet without records', async () => {
    const path = join(dir, 'no-records.xml');
    await writeFile(path, '<?xml version="1.0"?>\n<DescriptorRecordSet LanguageCode = "eng">\n</DescriptorRecordSet>\n');
    const e = await loadError(path);
    expect(e.reason).toBe('empty');
    expect(e.message).toMatch(/no DescriptorRecord/);
  });

  it('fails with a malformed error when the last record is cut off', async () => {
    const text = fixtureXml.toString('utf8');
    const path = join(dir, 'cut.xml');
    await writeFile(path, text.slice(0, text.lastIndexOf('</DescriptorRecord>') - 10));
    const e = await loadError(path);
    expect(e.reason).toBe('malformed');
    expect(e.message).toMatch(/truncated/);
  });
});
