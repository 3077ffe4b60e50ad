import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const serverSchema = z.object({ pid: z.number().int().positive(), port: z.number().int().positive(), logFile: z.string() });
const serviceSchema = z.object({ name: z.string(), pid: z.number().int().positive(), metricsPort: z.number().int().positive(), logFile: z.string() });

/** What `stack up` leaves in `<dir>/state.json` for `stack down` and for people. */
export const stackStateSchema = z.object({
  runDir: z.string(),
  brokers: z.array(z.string()).min(1),
  registryUrl: z.string(),
  startedAt: z.string(),
  kafka: serverSchema,
  registry: serverSchema,
  /** Redis, the services' shared LLM response cache (absent in states written before it existed). */
  redisUrl: z.string().optional(),
  redis: serverSchema.optional(),
  /** The medistill services started on the stack, in pipeline order (absent before they start). */
  services: z.array(serviceSchema).optional(),
});
export type StackState = z.infer<typeof stackStateSchema>;

/** Path of the state file of the stack kept in `dir`. */
export function stateFile(dir: string): string {
  return join(dir, 'state.json');
}

/** Writes the state of a detached stack. */
export async function writeStackState(dir: string, state: StackState): Promise<void> {
  await writeFile(stateFile(dir), JSON.stringify(state, null, 2) + '\n');
}

/** Reads the state of a detached stack; undefined when there is none. A malformed file throws. */
export async function readStackState(dir: string): Promise<StackState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFile(dir), 'utf8');
  } catch {
    return undefined;
  }
  return stackStateSchema.parse(JSON.parse(text));
}

/** Forgets the detached stack. */
export async function removeStackState(dir: string): Promise<void> {
  await rm(stateFile(dir), { force: true });
}
