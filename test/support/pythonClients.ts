import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DEFAULT_PYTHON_DIR, pythonOf } from '../../deploy/python/installPythonClients.ts';

/** The interpreter of the clients' environment; fails with how to make it when it is missing. */
export function pythonClients(): string {
  const python = pythonOf(DEFAULT_PYTHON_DIR);
  if (!existsSync(python)) throw new Error(`no Python clients environment at ${DEFAULT_PYTHON_DIR}: run "npm run python:clients" (part of npm test's pretest)`);
  return python;
}

/** Runs a script of test/support/python/ with the clients' interpreter and parses the JSON it prints. */
export function runPythonJson<T>(script: string, args: readonly string[], env: Record<string, string> = {}, timeoutMs = 180_000): Promise<T> {
  const path = new URL(`./python/${script}`, import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    execFile(
      pythonClients(),
      [path, ...args],
      { timeout: timeoutMs, maxBuffer: 64 << 20, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HF_HUB_OFFLINE: '1', HF_DATASETS_OFFLINE: '1', ...env } },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${script} failed: ${err.message}\n${stderr.slice(-4000)}`));
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
        } catch {
          reject(new Error(`${script} printed no JSON:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
        }
      },
    );
  });
}
