import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { allDashboards, dashboardJson } from './dashboards.ts';

/** Where the generated dashboards are committed and provisioned from. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../dashboards/', import.meta.url));

/** Writes every dashboard's JSON under `dir` and returns the paths written. */
export async function writeDashboards(dir: string = DASHBOARD_DIR): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const { file, dashboard } of allDashboards()) {
    const path = join(dir, file);
    await writeFile(path, dashboardJson(dashboard));
    written.push(path);
  }
  return written;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeDashboards().then(
    (paths) => paths.forEach((p) => console.log(`wrote ${p}`)),
    (err: unknown) => {
      console.error(`writeDashboards: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
