import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileCheckpointStore } from '../../../services/ingest/sources/fileCheckpointStore.ts';
import { CheckpointError } from '../../../services/errors/medistillErrors.ts';

describe('file checkpoint store', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkpoint-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the last value of each key across instances and leaves no temp file behind', async () => {
    const path = join(dir, 'state', 'checkpoint.json');
    const store = createFileCheckpointStore(path);
    expect(await store.load('a')).toBeNull();
    await Promise.all([store.save('a', { next: '1' }), store.save('b', ['x']), store.save('a', { next: '2' })]);

    const reopened = createFileCheckpointStore(path);
    expect(await reopened.load('a')).toEqual({ next: '2' });
    expect(await reopened.load('b')).toEqual(['x']);
    expect(await readdir(join(dir, 'state'))).toEqual(['checkpoint.json']);
  });

  it('refuses a file that is not a checkpoint instead of starting over', async () => {
    const path = join(dir, 'checkpoint.json');
    await writeFile(path, '{"half": ');
    await expect(createFileCheckpointStore(path).load('a')).rejects.toBeInstanceOf(CheckpointError);
    await writeFile(path, '{"something": "else"}');
    await expect(createFileCheckpointStore(path).load('a')).rejects.toThrow(/is not a checkpoint/);
  });
});
