import { describe, expect, it } from 'vitest';
import {
  ContractError,
  InfrastructureError,
  InputNotFoundError,
  LlmBadOutputError,
  LlmUnavailableError,
  MedistillError,
  QueueFullError,
  RecordContentError,
  RegistryUnavailableError,
  RuntimeUsageError,
  SchemaRegistrationError,
  WaitAbortedError,
} from '../../../services/errors/medistillErrors.ts';
import { decideFailure, failureReason } from '../../../services/runtime/failurePolicy.ts';

const MAX = 5;

describe('failureReason', () => {
  it.each([
    ['undecodable', new ContractError('bad_magic_byte', 'magic byte is 7')],
    ['invalid_input', new RecordContentError('no PMID')],
    ['llm', new LlmUnavailableError('down', { attempts: 3, lastStatus: 503 })],
    ['llm', new LlmBadOutputError('not JSON', { excerpt: '""', attempts: 2 })],
    ['retries_exhausted', new QueueFullError('concurrency', 10)],
    ['bug', new TypeError('x is not a function')],
    ['bug', new RangeError('bad length')],
    ['bug', new RuntimeUsageError('complete before start')],
    ['bug', new Error('a library error nobody wrapped')],
    ['invalid_input', new WaitAbortedError('concurrency')],
    ['unknown', 'a thrown string'],
    ['unknown', undefined],
  ] as const)('is %s for %s', (reason, err) => {
    expect(failureReason(err)).toBe(reason);
  });

  it('does not go by names: an error merely called ContractError is not undecodable', () => {
    const impostor = Object.assign(new Error('x'), { name: 'ContractError' });
    expect(failureReason(impostor)).toBe('bug');
    const llmLike = Object.assign(new Error('x'), { name: 'LlmSomething', retriable: true });
    expect(failureReason(llmLike)).toBe('bug');
  });
});

describe('decideFailure', () => {
  it('crashes on an infrastructure failure, whatever the attempt', () => {
    expect(decideFailure(new InfrastructureError('producing failed'), 1, MAX)).toEqual({ kind: 'crash' });
    expect(decideFailure(new RegistryUnavailableError('no answer'), MAX, MAX)).toEqual({ kind: 'crash' });
    expect(decideFailure(new SchemaRegistrationError('s', 'incompatible'), 1, MAX)).toEqual({ kind: 'crash' });
  });

  it('retries a retriable failure with doubling delays, then dead-letters it', () => {
    const err = new LlmUnavailableError('down', { attempts: 3, lastStatus: 503 });
    expect(decideFailure(err, 1, MAX, 100)).toEqual({ kind: 'retry', delayMs: 100 });
    expect(decideFailure(err, 2, MAX, 100)).toEqual({ kind: 'retry', delayMs: 200 });
    expect(decideFailure(err, 4, MAX, 100)).toEqual({ kind: 'retry', delayMs: 800 });
    expect(decideFailure(err, MAX, MAX, 100)).toEqual({ kind: 'dead_letter', reason: 'llm' });
    expect(decideFailure(new QueueFullError('concurrency', 1), MAX, MAX)).toEqual({ kind: 'dead_letter', reason: 'retries_exhausted' });
  });

  it('caps the delay at 30 s', () => {
    expect(decideFailure(new QueueFullError('concurrency', 1), 30, 100, 500)).toEqual({ kind: 'retry', delayMs: 30_000 });
  });

  it('dead-letters bad input and undecodable bytes at once', () => {
    expect(decideFailure(new RecordContentError('no PMID'), 1, MAX)).toEqual({ kind: 'dead_letter', reason: 'invalid_input' });
    expect(decideFailure(new ContractError('bad_body', 'truncated'), 1, MAX)).toEqual({ kind: 'dead_letter', reason: 'undecodable' });
    expect(decideFailure(new LlmBadOutputError('not JSON', { excerpt: '""', attempts: 2 }), 1, MAX)).toEqual({ kind: 'dead_letter', reason: 'llm' });
    expect(decideFailure(new InputNotFoundError('x'), 1, MAX)).toEqual({ kind: 'dead_letter', reason: 'invalid_input' });
  });

  it('never retries a programming error, even one claiming to be retriable', () => {
    const typeError = Object.assign(new TypeError('cannot read properties of undefined'), { retriable: true });
    expect(decideFailure(typeError, 1, MAX)).toEqual({ kind: 'dead_letter', reason: 'bug' });
    expect(decideFailure(new RuntimeUsageError('misuse'), 1, MAX)).toEqual({ kind: 'dead_letter', reason: 'bug' });
  });

  it('never retries an error that is not ours, whatever its retriable says', () => {
    const kafkaLike = Object.assign(new Error('The coordinator is loading'), { name: 'KafkaJSProtocolError', retriable: true });
    expect(decideFailure(kafkaLike, 1, MAX)).toEqual({ kind: 'dead_letter', reason: 'bug' });
    expect(decideFailure('a thrown string', 1, MAX)).toEqual({ kind: 'dead_letter', reason: 'unknown' });
  });

  it('retries any of our errors that says it is retriable', () => {
    expect(decideFailure(new MedistillError('try again', { retriable: true }), 1, MAX, 10)).toEqual({ kind: 'retry', delayMs: 10 });
  });
});
