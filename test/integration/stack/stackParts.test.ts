import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findJava, javaMajor } from '../../../deploy/local/findJava.ts';
import { freePorts } from '../../../deploy/local/freePort.ts';
import { pollUntil } from '../../../deploy/local/pollUntil.ts';
import { runToCompletion } from '../../../deploy/local/runToCompletion.ts';
import { runStackCli } from '../../../deploy/local/stackCli.ts';
import { CommandFailedError, JavaNotFoundError, StackUsageError } from '../../../deploy/local/stackErrors.ts';
import { randomClusterId, serverProperties } from '../../../deploy/local/startKafka.ts';
import { isRunning, stopPid } from '../../../deploy/local/stopPid.ts';

describe('stack parts', () => {
  it('reads Java feature releases from old and new version strings', () => {
    expect(javaMajor('17.0.15')).toBe(17);
    expect(javaMajor('25.0.3+9')).toBe(25);
    expect(javaMajor('21')).toBe(21);
    expect(javaMajor('1.8.0_392')).toBe(8);
    expect(javaMajor('abc')).toBeUndefined();
  });

  it('finds a Java runtime that Kafka can run on and says how to fix a missing one', async () => {
    expect((await findJava(17)).major).toBeGreaterThanOrEqual(17);
    await expect(findJava(999, [])).rejects.toBeInstanceOf(JavaNotFoundError);
  });

  it('makes cluster ids of 16 bytes in base64url that the storage tool cannot read as an option', () => {
    const ids = Array.from({ length: 200 }, randomClusterId);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('writes a one-node KRaft configuration bound to loopback with topic auto-creation off', () => {
    const text = serverProperties({ port: 19092, controllerPort: 19093, dataDir: '/d', partitions: 2 });
    const props = new Map(text.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
    expect(props.get('process.roles')).toBe('broker,controller');
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props.get('controller.quorum.bootstrap.servers')).toBe('127.0.0.1:19093');
    expect(props.get('auto.create.topics.enable')).toBe('false');
    expect(props.get('num.partitions')).toBe('2');
    expect(props.get('log.dirs')).toBe('/d');
  });

  it('hands out distinct free ports', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const p of ports) expect(p).toBeGreaterThan(0);
  });

  it('stops polling at the deadline and reports the last error', async () => {
    let calls = 0;
    const started = Date.now();
    const result = await pollUntil(
      async () => {
        calls++;
        throw new Error(`attempt ${calls}`);
      },
      { timeoutMs: 300, intervalMs: 50 },
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ ready: false, reason: 'timeout' });
    expect(String((result as { lastError: unknown }).lastError)).toBe(`Error: attempt ${calls}`);
    expect(calls).toBeGreaterThan(1);
  });

  it('stops polling as soon as the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const result = await pollUntil(async () => false, { timeoutMs: 10_000, intervalMs: 5_000, signal: controller.signal });
    expect(result).toMatchObject({ ready: false, reason: 'aborted' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails a command that exits non-zero with the tail of its output', async () => {
    const error = await runToCompletion('sh', ['-c', 'echo boom >&2; exit 3'], { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as CommandFailedError).message).toMatch(/exited with code 3/);
    expect((error as CommandFailedError).output).toContain('boom');
  });

  it('kills a command that outlives its timeout', async () => {
    const started = Date.now();
    const error = await runToCompletion('sleep', ['30'], { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as CommandFailedError).retriable).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stopPid leaves alone a process whose command line lacks the marker, and stops one that has it', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid as number;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      expect(await isRunning(pid, 'kafka.Kafka')).toBe(false);
      await stopPid(pid, 'kafka.Kafka');
      expect(child.exitCode).toBeNull();
      expect(await isRunning(pid, 'sleep')).toBe(true);
      await stopPid(pid, 'sleep', { graceMs: 5_000 });
      await exited;
      expect(child.signalCode).toBe('SIGTERM');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses an unknown command and a bad port with the usage', async () => {
    await expect(runStackCli(['launch'], () => undefined)).rejects.toBeInstanceOf(StackUsageError);
    await expect(runStackCli(['up', '--kafka-port', '70000'], () => undefined)).rejects.toThrow(/--kafka-port must be a port/);
  });
});
