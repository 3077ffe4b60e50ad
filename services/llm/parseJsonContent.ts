/** Result of reading a model answer as JSON. */
export type JsonContent = { ok: true; value: unknown } | { ok: false; problem: string };

const FENCE = /```[a-zA-Z]*[ \t]*\r?\n?([\s\S]*?)```/;

/**
 * Reads a model answer as JSON, tolerating a ```json fence around it (many models add one even in
 * JSON mode); anything else that is not JSON is reported, not guessed at.
 */
export function parseJsonContent(content: string): JsonContent {
  const fenced = FENCE.exec(content);
  const text = (fenced?.[1] ?? content).trim();
  if (text === '') return { ok: false, problem: 'the answer is empty' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, problem: `the answer is not valid JSON (${(error as Error).message})` };
  }
}
