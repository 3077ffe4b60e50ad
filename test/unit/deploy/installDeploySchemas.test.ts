import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeploySchemaError } from '../../../deploy/schemas/deploySchemaErrors.ts';
import { deploySchemaPaths, installDeploySchemas, KUBERNETES_SCHEMA_VERSION } from '../../../deploy/schemas/installDeploySchemas.ts';
import { kubernetesSchemaFile } from './schemaValidators.ts';

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'deploy-schemas-test-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * A stand-in for `python3 -m pip install ... --target <dir> -r <file>`: it lays out in <dir> the
 * package files the installer keeps (or none), and counts its runs.
 */
async function fakePython(withSchemas: boolean): Promise<{ path: string; runs: () => Promise<number> }> {
  const path = join(work, 'python');
  const counter = join(work, 'runs');
  const k8s = `kubernetes_validate/kubernetes-json-schema/${KUBERNETES_SCHEMA_VERSION}-local-strict`;
  const vendor = 'check_jsonschema/builtin_schemas/vendor';
  const lay = withSchemas
    ? [`mkdir -p "$site/${k8s}" "$site/${vendor}/licenses"`, `echo '{"$defs":{}}' > "$site/${k8s}/_definitions.json"`, `echo '{}' > "$site/${k8s}/deployment-apps-v1.json"`, `echo '{"type":"object"}' > "$site/${vendor}/compose-spec.json"`, `echo license > "$site/${vendor}/licenses/LICENSE.compose-spec"`]
    : ['mkdir -p "$site"'];
  const script = ['#!/bin/sh', `echo run >> "${counter}"`, 'site=""', 'while [ $# -gt 0 ]; do if [ "$1" = "--target" ]; then site="$2"; fi; shift; done', ...lay, ''].join('\n');
  await writeFile(path, script);
  await chmod(path, 0o755);
  return { path, runs: async () => (existsSync(counter) ? (await readFile(counter, 'utf8')).trim().split('\n').length : 0) };
}

describe('installDeploySchemas', () => {
  it('keeps only the pinned Kubernetes version and the Compose schema, then does nothing on the next call', async () => {
    const python = await fakePython(true);
    const dir = join(work, 'schemas');
    const paths = await installDeploySchemas({ dir, python: python.path });
    expect(paths).toEqual(deploySchemaPaths(dir));
    expect(existsSync(join(paths.kubernetesDir, '_definitions.json'))).toBe(true);
    expect(existsSync(join(paths.kubernetesDir, 'deployment-apps-v1.json'))).toBe(true);
    expect(JSON.parse(await readFile(paths.composeSpec, 'utf8'))).toEqual({ type: 'object' });
    expect(existsSync(paths.kedaScaledObject) && existsSync(paths.serviceMonitor)).toBe(true);
    await installDeploySchemas({ dir, python: python.path });
    expect(await python.runs()).toBe(1);
  });

  it('fails for good, leaving nothing that looks installed, when the packages hold no schemas where expected', async () => {
    const python = await fakePython(false);
    const dir = join(work, 'schemas');
    const err = await installDeploySchemas({ dir, python: python.path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeploySchemaError);
    expect((err as DeploySchemaError).retriable).toBe(false);
    expect((err as Error).message).toContain('kubernetes-json-schema');
    expect(existsSync(dir)).toBe(false);
  });

  it('fails with a retriable error naming pip when the interpreter cannot run', async () => {
    const err = await installDeploySchemas({ dir: join(work, 'schemas'), python: join(work, 'no-such-python') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeploySchemaError);
    expect((err as DeploySchemaError).retriable).toBe(true);
    expect((err as Error).message).toContain('pip');
  });
});

describe('kubernetesSchemaFile', () => {
  it('names schema files the way kubernetes-validate lays them out', () => {
    expect(kubernetesSchemaFile('apps/v1', 'Deployment')).toBe('deployment-apps-v1.json');
    expect(kubernetesSchemaFile('v1', 'PersistentVolumeClaim')).toBe('persistentvolumeclaim-v1.json');
    expect(kubernetesSchemaFile('policy/v1', 'PodDisruptionBudget')).toBe('poddisruptionbudget-policy-v1.json');
    expect(kubernetesSchemaFile('rbac.authorization.k8s.io/v1', 'Role')).toBe('role-rbac-v1.json');
  });
});
