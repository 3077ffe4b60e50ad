import { vi } from 'vitest';
import { main } from '../../../services/cli/main.ts';

/**
 * The commands `medistill help` lists under "commands that run one stage as a Kafka service",
 * read from the real CLI's output, so a deployment naming a command the CLI lacks is caught.
 */
export async function cliServiceCommands(): Promise<string[]> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  let code: number;
  try {
    code = await main(['help']);
  } finally {
    spy.mockRestore();
  }
  if (code !== 0) throw new Error(`medistill help exited with ${code}`);
  const text = chunks.join('');
  const start = text.indexOf('commands that run one stage as a Kafka service');
  if (start < 0) throw new Error('medistill help has no "commands that run one stage as a Kafka service" section');
  const section = text.slice(start).split('\n\n')[0] ?? '';
  return [...section.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1] ?? '');
}
