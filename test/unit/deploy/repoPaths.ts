import { fileURLToPath } from 'node:url';

/** The repository root, for the deployment files the tests read. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** An absolute path of a file in the repository. */
export function repoPath(relative: string): string {
  return fileURLToPath(new URL(relative, new URL('../../../', import.meta.url)));
}
