import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ContractError,
  InfrastructureError,
  InputNotFoundError,
  LlmConfigError,
  MeshLoadError,
  RecordContentError,
  RuntimeUsageError,
  ServiceStartError,
  UsageError,
} from '../../../services/errors/medistillErrors.ts';
import { EXIT_BUG, EXIT_USER_ERROR, reportFailure } from '../../../services/cli/reportFailure.ts';

function report(err: unknown): { code: number; text: string } {
  let text = '';
  const code = reportFailure(err, { write: (t: string) => (text += t) });
  return { code, text };
}

describe('reportFailure', () => {
  it.each([
    new UsageError('--limit must be a positive whole number, got "zero"'),
    new InputNotFoundError('nope.xml'),
    new MeshLoadError('not_mesh', 'not-mesh.xml', 'not-mesh.xml is not a MeSH descriptor file'),
    new ConfigError('MEDISTILL_INGEST_INPUT is required for the files source'),
    new LlmConfigError('MEDISTILL_LLM_BASE_URL is not set'),
  ])('prints a user error ($name) as one line and exits 2', (err) => {
    const { code, text } = report(err);
    expect(code).toBe(EXIT_USER_ERROR);
    expect(code).toBe(2);
    expect(text).toBe(`medistill: ${err.message}\n`);
  });

  it('prints a service that cannot reach Kafka as one line, no stack', () => {
    const err = new ServiceStartError('cannot reach Kafka at 127.0.0.1:1: connect ECONNREFUSED', { cause: new Error('connect ECONNREFUSED') });
    const { code, text } = report(err);
    expect(code).toBe(2);
    expect(text).toBe('medistill: cannot reach Kafka at 127.0.0.1:1: connect ECONNREFUSED\n');
  });

  it.each([
    new TypeError("Cannot read properties of undefined (reading 'pmid')"),
    new RuntimeUsageError('complete() for an offset never begun'),
    new RecordContentError('no PMID'),
    new ContractError('bad_body', 'truncated'),
    new InfrastructureError('producing 3 message(s) failed'),
  ])('prints anything else ($name) as a bug with its stack and exits 1', (err) => {
    const { code, text } = report(err);
    expect(code).toBe(EXIT_BUG);
    expect(code).toBe(1);
    expect(text.startsWith(`medistill: unexpected error: ${err.name}: ${err.message}\n`)).toBe(true);
    expect(text).toMatch(/^\s+at /m);
  });

  it('does not take a non-retriable error for a user error', () => {
    const notOurs = Object.assign(new Error('broken'), { retriable: false, name: 'InputNotFoundError' });
    expect(report(notOurs).code).toBe(1);
  });

  it('prints a thrown non-error as a bug', () => {
    expect(report('boom')).toEqual({ code: 1, text: 'medistill: unexpected error: boom\n' });
  });
});
