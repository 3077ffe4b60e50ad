import { describe, expect, it } from 'vitest';
import {
  AnnotateConfigError,
  CheckpointError,
  ConfigError,
  ContractConfigError,
  ContractError,
  EutilsAnswerError,
  EutilsConfigError,
  EutilsError,
  EutilsUnavailableError,
  ExportConfigError,
  ExportIoError,
  InfrastructureError,
  InputNotFoundError,
  InputReadError,
  InvalidInputError,
  LimitError,
  LlmAbortedError,
  LlmBadOutputError,
  LlmConfigError,
  LlmError,
  LlmProtocolError,
  LlmRequestError,
  LlmUnavailableError,
  MedistillError,
  MeshConfigError,
  MeshLoadError,
  ProgrammingError,
  QueueFullError,
  RecordContentError,
  RegistryUnavailableError,
  RequestTooLargeError,
  RuleBasedGeneratorConfigError,
  RuleBasedJudgeConfigError,
  RuntimeConfigError,
  RuntimeUsageError,
  SchemaRegistrationError,
  ServiceStartError,
  SourceConfigError,
  SourceUsageError,
  StorageError,
  UsageError,
  UserInputError,
  WaitAbortedError,
  WriterClosedError,
  XmlLimitError,
  XmlSyntaxError,
} from '../../../services/errors/medistillErrors.ts';

const POSITION = { line: 3, column: 7, offset: 120 };

describe('MedistillError', () => {
  it('takes its name from the class, so subclasses need no name of their own', () => {
    class LocalError extends MedistillError {}
    expect(new MedistillError('x').name).toBe('MedistillError');
    expect(new LocalError('x').name).toBe('LocalError');
    expect(String(new LocalError('broken'))).toBe('LocalError: broken');
  });

  it('is not retriable unless told so', () => {
    expect(new MedistillError('x').retriable).toBe(false);
    expect(new MedistillError('x', { retriable: true }).retriable).toBe(true);
  });

  it('keeps its cause and the context it was given', () => {
    const cause = new Error('socket hang up');
    const err = new MedistillError('failed', { cause, stage: 'annotate', topic: 'pubmed.records.v1', partition: 2, offset: '41', pmid: '31452345' });
    expect(err.cause).toBe(cause);
    expect(err).toMatchObject({ stage: 'annotate', topic: 'pubmed.records.v1', partition: 2, offset: '41', pmid: '31452345' });
  });

  it('leaves context fields undefined when nobody knows them', () => {
    const err = new MedistillError('failed');
    expect(err.cause).toBeUndefined();
    expect(err.stage).toBeUndefined();
    expect(err.pmid).toBeUndefined();
  });

  it('keeps a stack trace', () => {
    expect(new MedistillError('x').stack).toContain('medistillErrors.test.ts');
  });
});

describe('the families', () => {
  const cases: [string, Error, (abstract new (...args: never[]) => Error)[], boolean][] = [
    ['UsageError', new UsageError('bad flag'), [UserInputError], false],
    ['InputNotFoundError', new InputNotFoundError('nope.xml'), [UserInputError], false],
    ['MeshLoadError', new MeshLoadError('not_mesh', 'x.xml', 'x.xml is not MeSH'), [UserInputError], false],
    ['ConfigError', new ConfigError('bad'), [UserInputError], false],
    ['RuntimeConfigError', new RuntimeConfigError('bad'), [ConfigError, UserInputError], false],
    ['LlmConfigError', new LlmConfigError('bad'), [ConfigError, UserInputError], false],
    ['MeshConfigError', new MeshConfigError('bad'), [ConfigError], false],
    ['AnnotateConfigError', new AnnotateConfigError('bad'), [ConfigError], false],
    ['ExportConfigError', new ExportConfigError('bad'), [ConfigError], false],
    ['EutilsConfigError', new EutilsConfigError('bad'), [ConfigError], false],
    ['SourceConfigError', new SourceConfigError('bad'), [ConfigError], false],
    ['ContractConfigError', new ContractConfigError('bad'), [ConfigError], false],
    ['RuleBasedGeneratorConfigError', new RuleBasedGeneratorConfigError('bad'), [ConfigError], false],
    ['RuleBasedJudgeConfigError', new RuleBasedJudgeConfigError('bad'), [ConfigError], false],
    ['XmlSyntaxError', new XmlSyntaxError('unclosed tag', { index: 4, line: 1, column: 5 }), [InvalidInputError], false],
    ['XmlLimitError', new XmlLimitError('depth', 'nesting deeper than 128', { index: 9, line: 1, column: 10 }), [InvalidInputError], false],
    ['RecordContentError', new RecordContentError('no PMID'), [InvalidInputError], false],
    ['InputReadError', new InputReadError('a.xml.gz', POSITION, { cause: new Error('unexpected end of file') }), [InvalidInputError], false],
    ['ContractError', new ContractError('bad_magic_byte', 'magic byte is 7'), [MedistillError], false],
    ['LlmUnavailableError', new LlmUnavailableError('down', { attempts: 3, lastStatus: 503 }), [LlmError], true],
    ['LlmProtocolError', new LlmProtocolError('cut short', { status: 200 }), [LlmError], true],
    ['LlmRequestError', new LlmRequestError('refused', { status: 400 }), [LlmError], false],
    ['LlmBadOutputError', new LlmBadOutputError('not JSON', { excerpt: '"oops"', attempts: 2 }), [LlmError], false],
    ['LlmAbortedError', new LlmAbortedError(), [LlmError], false],
    ['EutilsUnavailableError', new EutilsUnavailableError('down', { endpoint: 'efetch', attempts: 3, lastStatus: null }), [EutilsError], true],
    ['InfrastructureError', new InfrastructureError('producing failed'), [MedistillError], true],
    ['RegistryUnavailableError', new RegistryUnavailableError('no answer'), [InfrastructureError], true],
    ['SchemaRegistrationError', new SchemaRegistrationError('s-value', 'incompatible', { status: 409 }), [InfrastructureError], false],
    ['ServiceStartError', new ServiceStartError('cannot reach Kafka at localhost:9092: ECONNREFUSED'), [InfrastructureError], true],
    ['ExportIoError', new ExportIoError('/out/train.jsonl', { cause: new Error('ENOSPC') }), [StorageError], true],
    ['CheckpointError', new CheckpointError('cannot write checkpoint', { retriable: true }), [StorageError], true],
    ['QueueFullError', new QueueFullError('rate limiter', 10), [LimitError], true],
    ['RequestTooLargeError', new RequestTooLargeError('tokens', 5000, 1000), [LimitError], false],
    ['RuntimeUsageError', new RuntimeUsageError('complete before start'), [ProgrammingError], false],
    ['SourceUsageError', new SourceUsageError('iterated twice'), [ProgrammingError], false],
    ['WriterClosedError', new WriterClosedError(), [ProgrammingError], false],
    ['WaitAbortedError', new WaitAbortedError('concurrency'), [MedistillError], false],
  ];

  it.each(cases)('%s has its class name, its family and the default retriable', (name, err, families, retriable) => {
    expect(err.name).toBe(name);
    expect(err).toBeInstanceOf(MedistillError);
    expect(err).toBeInstanceOf(Error);
    for (const family of families) expect(err).toBeInstanceOf(family);
    expect((err as MedistillError).retriable).toBe(retriable);
  });

  it('keeps the families apart', () => {
    expect(new LlmConfigError('bad')).not.toBeInstanceOf(LlmError);
    expect(new ContractError('bad_body', 'x')).not.toBeInstanceOf(InvalidInputError);
    expect(new RegistryUnavailableError('x')).not.toBeInstanceOf(ContractError);
    expect(new InputReadError('a', POSITION, { cause: 'x' })).not.toBeInstanceOf(UserInputError);
    expect(new ServiceStartError('x')).not.toBeInstanceOf(UserInputError);
  });

  it('keeps the messages the classes always had', () => {
    expect(new InputNotFoundError('nope.xml', { detail: 'no match' }).message).toBe('input not found: nope.xml (no match)');
    expect(new XmlSyntaxError('unclosed tag', { index: 4, line: 2, column: 5 }).message).toBe('unclosed tag (line 2, column 5)');
    expect(new InputReadError('a.xml.gz', POSITION, { cause: new Error('unexpected end of file') }).message).toBe('cannot read a.xml.gz: unexpected end of file');
    expect(new ExportIoError('/out/x.jsonl', { cause: 'ENOSPC' }).message).toBe('cannot write /out/x.jsonl: ENOSPC');
    expect(new QueueFullError('rate limiter', 10).message).toBe('rate limiter queue is full (10 waiting); retry later');
    expect(new WaitAbortedError('concurrency').message).toBe('concurrency: wait aborted by the caller');
    expect(new LlmAbortedError().message).toBe('LLM request aborted by the caller');
    expect(new WriterClosedError().message).toBe('dataset writer is closed; create a new writer to write more items');
  });
});

describe('retriable overrides', () => {
  it('follows the thrower where the class leaves it open', () => {
    expect(new EutilsAnswerError('ERROR', { endpoint: 'esearch', ncbiMessage: 'x', attempts: 1, retriable: true }).retriable).toBe(true);
    expect(new EutilsAnswerError('ERROR', { endpoint: 'esearch', ncbiMessage: 'x', attempts: 4, retriable: false }).retriable).toBe(false);
    expect(new CheckpointError('corrupt', { retriable: false }).retriable).toBe(false);
    expect(new InputReadError('a', POSITION, { cause: 'EIO', retriable: true }).retriable).toBe(true);
    expect(new InfrastructureError('x', { retriable: false }).retriable).toBe(false);
  });

  it('never lets a user error or a bug be retried', () => {
    expect(new UserInputError('x', { retriable: true }).retriable).toBe(false);
    expect(new ProgrammingError('x', { retriable: true }).retriable).toBe(false);
    expect(new ContractError('bad_body', 'x', { retriable: true }).retriable).toBe(false);
  });

  it('makes a start-up failure as retriable as its cause', () => {
    expect(new ServiceStartError('cannot reach Kafka', { cause: new Error('ECONNREFUSED') }).retriable).toBe(true);
    const refused = new SchemaRegistrationError('s-value', 'incompatible', { status: 409 });
    expect(new ServiceStartError('cannot register the schemas', { cause: refused }).retriable).toBe(false);
  });
});

describe('fields of the leaves', () => {
  it('carries what each thrower knows', () => {
    const cause = new Error('ECONNRESET');
    expect(new LlmUnavailableError('down', { attempts: 3, lastStatus: 503, cause })).toMatchObject({ attempts: 3, lastStatus: 503, cause });
    expect(new MeshLoadError('corrupt_gzip', 'd.gz', 'd.gz is corrupt', cause)).toMatchObject({ reason: 'corrupt_gzip', path: 'd.gz', cause });
    expect(new ContractError('unknown_schema_id', 'id 9', { cause, topic: 'qa.judged.v1' })).toMatchObject({ violation: 'unknown_schema_id', cause, topic: 'qa.judged.v1' });
    expect(new CheckpointError('x', { retriable: false })).toMatchObject({ path: null });
    expect(new InputNotFoundError('nope.xml')).toMatchObject({ input: 'nope.xml' });
    expect(new RequestTooLargeError('tokens', 5000, 1000)).toMatchObject({ requested: 5000, capacity: 1000 });
  });
});
