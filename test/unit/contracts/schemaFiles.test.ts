import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import avro from 'avsc';
import { AVRO_SCHEMAS } from '../../../services/contracts/avroSchemas.ts';
import { avroTypeFor } from '../../../services/contracts/avroTypes.ts';
import { ContractConfigError } from '../../../services/errors/medistillErrors.ts';
import {
  generatedSchemaFiles,
  historyDir,
  readSchemaHistory,
  releaseSchemaHistory,
  renderSchemaFile,
  SCHEMAS_DIR,
  writeSchemaFiles,
} from '../../../services/contracts/schemaFiles.ts';
import { pipelineSubjects } from '../../../services/contracts/topicSubjects.ts';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'medistill-schemas-'));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('schemas/ folder', () => {
  it('holds exactly the files the code generates, byte for byte', async () => {
    const onDisk = (await readdir(SCHEMAS_DIR)).filter((n) => n.endsWith('.avsc')).sort();
    const generated = generatedSchemaFiles();
    expect(onDisk).toEqual([...generated.keys()].sort());
    for (const [name, text] of generated) {
      // On failure: run `npx tsx services/contracts/writeSchemaFiles.ts` and commit schemas/.
      expect(await readFile(join(SCHEMAS_DIR, name), 'utf8'), name).toBe(text);
    }
  });

  it('has one file per topic plus the dead-letter schema', () => {
    expect([...generatedSchemaFiles().keys()]).toEqual([
      'pubmed.records.v1.avsc',
      'pubmed.annotated.v1.avsc',
      'qa.candidates.v1.avsc',
      'qa.judged.v1.avsc',
      'qa.preferences.v1.avsc',
      'dead-letter.avsc',
    ]);
  });

  it.each(Object.keys(AVRO_SCHEMAS))('parses %s.avsc with avsc, with and without the logical types', async (name) => {
    const schema = JSON.parse(await readFile(join(SCHEMAS_DIR, `${name}.avsc`), 'utf8')) as avro.Schema;
    const plain = avro.Type.forSchema(schema);
    const withDates = avroTypeFor(schema as Record<string, unknown>);
    expect(plain.name).toBe(`org.medistill.v1.${(AVRO_SCHEMAS[name] as { name: string }).name}`);
    expect(withDates.equals(plain)).toBe(true);
  });

  it('renders the same schema to the same text whatever order its keys were built in', () => {
    const a = { type: 'record', name: 'X', namespace: 'n', fields: [{ name: 'f', type: 'int', default: 0, doc: 'd' }] };
    const b = { fields: [{ doc: 'd', default: 0, type: 'int', name: 'f' }], namespace: 'n', name: 'X', type: 'record' };
    expect(renderSchemaFile(b)).toBe(renderSchemaFile(a));
    expect(renderSchemaFile(a)).toMatch(/^\{\n {2}"name": "X",\n {2}"namespace": "n",\n {2}"type": "record",/);
    expect(renderSchemaFile(a).endsWith('}\n')).toBe(true);
  });

  it('writes the generated files into a folder', async () => {
    const dir = await tempDir();
    const written = await writeSchemaFiles(dir);
    expect(written).toHaveLength(6);
    for (const [name, text] of generatedSchemaFiles()) expect(await readFile(join(dir, name), 'utf8')).toBe(text);
  });
});

describe('schema history', () => {
  it.each(pipelineSubjects().map((s) => [s.subject, s]))(
    '%s keeps every released version, and the latest is the schema the code generates',
    async (_subject, { subject, schema }) => {
      const history = await readSchemaHistory(subject);
      expect(history.length).toBeGreaterThanOrEqual(1);
      for (const version of history) avro.Type.forSchema(JSON.parse(version.text) as avro.Schema);
      // On failure the schema changed: run `npx tsx services/contracts/writeSchemaFiles.ts --release`
      // to keep it as the next version, and run the registry compatibility test.
      expect(history.at(-1)?.text, `${subject}: latest history version differs from the generated schema`).toBe(
        renderSchemaFile(schema),
      );
    },
  );

  it('releases a version for every subject into an empty history, and nothing when nothing changed', async () => {
    const dir = await tempDir();
    const first = await releaseSchemaHistory(dir);
    expect(first).toHaveLength(pipelineSubjects().length);
    expect(await releaseSchemaHistory(dir)).toEqual([]);
  });

  it('releases v2 only for the subject whose latest version differs from the current schema', async () => {
    const dir = await tempDir();
    await releaseSchemaHistory(dir);
    const subject = 'qa.judged.v1-value';
    await writeFile(join(historyDir(subject, dir), 'v1.avsc'), '{"type":"record","name":"Old","fields":[]}\n');
    const released = await releaseSchemaHistory(dir);
    expect(released).toEqual([join(historyDir(subject, dir), 'v2.avsc')]);
    expect((await readSchemaHistory(subject, dir)).map((v) => v.version)).toEqual([1, 2]);
  });

  it('refuses a history with a missing version', async () => {
    const dir = await tempDir();
    await releaseSchemaHistory(dir);
    const subject = 'pubmed.records.v1-value';
    await writeFile(join(historyDir(subject, dir), 'v3.avsc'), '{}');
    await expect(readSchemaHistory(subject, dir)).rejects.toBeInstanceOf(ContractConfigError);
  });

  it('reads the versions in numeric order (v10 after v9)', async () => {
    const dir = await tempDir();
    await releaseSchemaHistory(dir);
    const subject = 'pubmed.records.v1-value';
    for (let v = 2; v <= 10; v++) await writeFile(join(historyDir(subject, dir), `v${v}.avsc`), `{"v":${v}}`);
    expect((await readSchemaHistory(subject, dir)).map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
