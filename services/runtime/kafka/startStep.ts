import { ServiceStartError } from '../../errors/medistillErrors.ts';

/** Runs a start-up step, turning its failure into a one-line ServiceStartError that says what was unreachable. */
export async function startStep<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw new ServiceStartError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
