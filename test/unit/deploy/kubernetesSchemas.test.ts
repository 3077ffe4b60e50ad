import { basename } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KUBERNETES_SCHEMA_VERSION } from '../../../deploy/schemas/installDeploySchemas.ts';
import { K8S_DIR, manifestFiles, readKubernetesManifests, type ManifestDocument } from './kubernetesManifests.ts';
import { loadDeployValidators, type DeployValidators } from './schemaValidators.ts';
import { readYamlDocuments } from './yamlDocuments.ts';

let validators: DeployValidators;
let docs: ManifestDocument[];

beforeAll(async () => {
  validators = await loadDeployValidators();
  docs = await readKubernetesManifests();
});

function find(kind: string, name: string): Record<string, unknown> {
  const doc = docs.find((d) => d.data.kind === kind && d.data.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return structuredClone(doc.data) as Record<string, unknown>;
}

async function errorsOf(doc: unknown): Promise<string> {
  return (await validators.kubernetes(doc)).errors.join('\n');
}

describe(`deploy/k8s against the Kubernetes ${KUBERNETES_SCHEMA_VERSION} schemas and the KEDA and Prometheus Operator CRD schemas`, () => {
  it('every document of every manifest is valid against the schema of its apiVersion and kind', async () => {
    const failures: string[] = [];
    for (const d of docs) {
      const verdict = await validators.kubernetes(d.data);
      if (verdict.errors.length > 0) failures.push(`${basename(d.file)}#${d.index} ${d.data.kind}/${d.data.metadata.name} (${basename(verdict.schema)}): ${verdict.errors.join('; ')}`);
    }
    expect(failures).toEqual([]);
  });

  it('holds what a deployment needs: namespace, settings, secrets template, volumes, and per service its workload and metrics Service', () => {
    const count = (kind: string): number => docs.filter((d) => d.data.kind === kind).length;
    expect(count('Namespace')).toBe(1);
    expect(count('ConfigMap')).toBe(1);
    expect(count('Secret')).toBe(1);
    expect(count('PersistentVolumeClaim')).toBe(3);
    expect(count('Deployment')).toBe(6);
    // Plus the Redis of the LLM response cache: a StatefulSet and its Service.
    expect(count('StatefulSet')).toBe(1);
    expect(count('Service')).toBe(7);
    expect(count('PodDisruptionBudget')).toBe(4);
    expect(count('ScaledObject')).toBe(4);
    expect(count('ServiceMonitor')).toBe(1);
    const namespace = docs.find((d) => d.data.kind === 'Namespace')?.data.metadata.name;
    for (const d of docs.filter((x) => x.data.kind !== 'Namespace')) expect(d.data.metadata.namespace, `${d.data.kind}/${d.data.metadata.name}`).toBe(namespace);
  });

  it('kustomization.yaml lists every manifest file except the Secret template', async () => {
    const kustomization = (await readYamlDocuments(`${K8S_DIR}kustomization.yaml`))[0]?.data as { resources: string[] };
    const files = (await manifestFiles()).map((f) => basename(f)).filter((f) => f !== 'secret.example.yaml');
    expect([...kustomization.resources].sort()).toEqual(files);
  });

  it('the Kubernetes schema rejects a misspelt field, a missing selector and a removed API version', async () => {
    const typo = find('Deployment', 'annotate') as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    (typo.spec.template.spec.containers[0] as Record<string, unknown>).imagePullPolcy = 'Always';
    expect(await errorsOf(typo)).toContain('imagePullPolcy');
    const noSelector = find('Deployment', 'judge') as { spec: Record<string, unknown> };
    delete noSelector.spec.selector;
    expect(await errorsOf(noSelector)).toContain('selector');
    const old = { ...find('Deployment', 'export'), apiVersion: 'extensions/v1beta1' };
    expect(await errorsOf(old)).toContain('not a kind of Kubernetes');
    const probe = find('Deployment', 'ingest') as { spec: { template: { spec: { containers: { livenessProbe: { httpGet: Record<string, unknown> } }[] } } } };
    delete (probe.spec.template.spec.containers[0] as { livenessProbe: { httpGet: Record<string, unknown> } }).livenessProbe.httpGet.port;
    expect(await errorsOf(probe)).toContain('port');
  });

  it('the ScaledObject schema rejects a bare-number lagThreshold, a misspelt field and a kafka trigger without a consumer group', async () => {
    const numeric = find('ScaledObject', 'generate') as { spec: { triggers: { metadata: Record<string, unknown> }[] } };
    (numeric.spec.triggers[0] as { metadata: Record<string, unknown> }).metadata.lagThreshold = 50;
    expect(await errorsOf(numeric)).toContain('lagThreshold');
    const typo = find('ScaledObject', 'judge') as { spec: Record<string, unknown> };
    typo.spec.maxReplicas = 12;
    expect(await errorsOf(typo)).toContain('maxReplicas');
    const noGroup = find('ScaledObject', 'annotate') as { spec: { triggers: { metadata: Record<string, unknown> }[] } };
    delete (noGroup.spec.triggers[0] as { metadata: Record<string, unknown> }).metadata.consumerGroup;
    expect(await errorsOf(noGroup)).toContain('consumerGroup');
  });

  it('the ServiceMonitor schema rejects a monitor without endpoints and an interval that is not a Prometheus duration', async () => {
    const noEndpoints = find('ServiceMonitor', 'medistill') as { spec: Record<string, unknown> };
    delete noEndpoints.spec.endpoints;
    expect(await errorsOf(noEndpoints)).toContain('endpoints');
    const interval = find('ServiceMonitor', 'medistill') as { spec: { endpoints: Record<string, unknown>[] } };
    (interval.spec.endpoints[0] as Record<string, unknown>).interval = '15 seconds';
    expect(await errorsOf(interval)).toContain('interval');
  });
});
