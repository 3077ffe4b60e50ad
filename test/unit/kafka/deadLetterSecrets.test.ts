import { describe, expect, it } from 'vitest';
import { deadLetterFor } from '../../../services/runtime/kafka/deadLetter.ts';
import { createFailureLog } from '../../../services/runtime/inprocess/failureLog.ts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SECRET = 'pw-dlq-marker-61b0c2';

describe('a failure quoting a URL with credentials', () => {
  it('reaches the dead-letter value and headers with the userinfo redacted', () => {
    const error = new TypeError(`Request cannot be constructed from a URL that includes credentials: http://user:${SECRET}@llm.internal:8000/v1/chat/completions`);
    const letter = deadLetterFor({ stage: 'generate', topic: 'pubmed.annotated.v1', partition: 2, offset: '41', key: Buffer.from('123'), value: Buffer.from('x'), error, codeVersion: '0.1.0' });
    const everything = JSON.stringify(letter, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
    expect(everything).not.toContain(SECRET);
    expect(letter.headers['medistill.error.message']).toContain('http://***@llm.internal:8000/v1/chat/completions');
    expect(letter.value.errorMessage).toContain('http://***@llm.internal:8000');
  });

  it('reaches failures.jsonl with the userinfo redacted and the raw input kept', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medistill-failure-secret-'));
    try {
      const path = join(dir, 'failures.jsonl');
      const log = createFailureLog(path);
      await log.add({ reason: 'llm_unavailable', message: `cannot reach https://svc:${SECRET}@llm.internal/v1`, raw: '<PMID>1</PMID>' });
      await log.close();
      const text = await readFile(path, 'utf8');
      expect(text).not.toContain(SECRET);
      expect(JSON.parse(text)).toMatchObject({ message: 'cannot reach https://***@llm.internal/v1', raw: '<PMID>1</PMID>' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
