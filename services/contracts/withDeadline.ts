import { RegistryUnavailableError } from '../errors/medistillErrors.ts';

/**
 * Settles like `work`, or rejects with RegistryUnavailableError after `ms`: the registry client
 * library takes no AbortSignal, and its retries could otherwise outlast any single request timeout.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RegistryUnavailableError(`${what}: no answer from the schema registry within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
