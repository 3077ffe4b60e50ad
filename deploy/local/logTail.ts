import { open } from 'node:fs/promises';

/** Reads the last `maxBytes` of a file (empty when it does not exist), for error messages. */
export async function logTail(path: string, maxBytes = 8_192): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
