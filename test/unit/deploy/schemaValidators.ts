import { readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { deploySchemaPaths, type DeploySchemaPaths } from '../../../deploy/schemas/installDeploySchemas.ts';

/** The outcome of validating one document: the schema used and its errors (empty when valid). */
export interface SchemaVerdict {
  schema: string;
  errors: string[];
}

/** Validates plain data against the schemas of the deployment files. */
export interface DeployValidators {
  /** A Kubernetes object against the schema of its apiVersion and kind (KEDA and the Prometheus Operator's CRDs included). */
  kubernetes(doc: unknown): Promise<SchemaVerdict>;
  /** A Compose file against the Compose Specification. */
  compose(doc: unknown): SchemaVerdict;
}

function describe(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const params = e.params as { additionalProperty?: unknown; unevaluatedProperty?: unknown };
    const extra = params.additionalProperty ?? params.unevaluatedProperty;
    return `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra === undefined ? '' : `: ${String(extra)}`}`;
  });
}

/** kubernetes-validate's file naming: `apps/v1` → `apps-v1`, `policy/v1` → `policy-v1`, `v1` → `v1`, `rbac.authorization.k8s.io/v1` → `rbac-v1`. */
export function kubernetesSchemaFile(apiVersion: string, kind: string): string {
  return `${kind.toLowerCase()}-${apiVersion.replace(/^([^./]*)(?:\.[^/]*)?\//, '$1-')}.json`;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

/**
 * Loads the validators from the installed schemas. Fails with how to install them when they are
 * missing: they come from PyPI through `npm run deploy:schemas` (CI runs it before the tests),
 * never from the network at test time.
 */
export async function loadDeployValidators(paths: DeploySchemaPaths = deploySchemaPaths()): Promise<DeployValidators> {
  const definitions = join(paths.kubernetesDir, '_definitions.json');
  try {
    await access(definitions);
    await access(paths.composeSpec);
  } catch (err) {
    throw new Error(`deployment schemas not installed (${definitions}, ${paths.composeSpec}): run "npm run deploy:schemas" first`, { cause: err });
  }
  // Formats such as int32 and byte are type hints in these schemas; x-kubernetes-* are annotations.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(await readJson(definitions));
  const compose = ajv.compile(await readJson(paths.composeSpec));
  const crds = new Map<string, { file: string; validate: ValidateFunction }>([
    ['keda.sh/v1alpha1/ScaledObject', { file: paths.kedaScaledObject, validate: ajv.compile(await readJson(paths.kedaScaledObject)) }],
    ['monitoring.coreos.com/v1/ServiceMonitor', { file: paths.serviceMonitor, validate: ajv.compile(await readJson(paths.serviceMonitor)) }],
  ]);
  const builtins = new Map<string, ValidateFunction | null>();

  /** The compiled schema of a built-in kind, null when the pinned version has none. */
  async function builtin(file: string): Promise<ValidateFunction | null> {
    if (!builtins.has(file)) {
      const source = await readJson(join(paths.kubernetesDir, file)).catch(() => null);
      builtins.set(file, source ? ajv.compile(source) : null);
    }
    return builtins.get(file) ?? null;
  }

  return {
    async kubernetes(doc) {
      const { apiVersion, kind } = (doc ?? {}) as { apiVersion?: unknown; kind?: unknown };
      if (typeof apiVersion !== 'string' || typeof kind !== 'string') return { schema: '(none)', errors: ['/ has no apiVersion and kind'] };
      const crd = crds.get(`${apiVersion}/${kind}`);
      if (crd) return { schema: crd.file, errors: crd.validate(doc) ? [] : describe(crd.validate.errors) };
      const file = kubernetesSchemaFile(apiVersion, kind);
      const validate = await builtin(file);
      if (!validate) return { schema: file, errors: [`/ ${apiVersion} ${kind} is not a kind of Kubernetes ${paths.kubernetesDir.split('/').pop() ?? ''}`] };
      return { schema: file, errors: validate(doc) ? [] : describe(validate.errors) };
    },
    compose(doc) {
      return { schema: paths.composeSpec, errors: compose(doc) ? [] : describe(compose.errors) };
    },
  };
}
