import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readYamlDocuments, type YamlDocument } from './yamlDocuments.ts';
import { repoPath } from './repoPaths.ts';

/** The folder of the Kubernetes manifests. */
export const K8S_DIR = repoPath('deploy/k8s/');

/** The fields of a Kubernetes object the checks read (the schemas check the rest). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface HttpProbe {
  httpGet?: { path?: string; port?: number | string };
}

export interface Container {
  name: string;
  /** `Always` on an init container: a native sidecar, started before the main containers and kept running. */
  restartPolicy?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  startupProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean; runAsUser?: number };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; fsGroup?: number };
  volumes?: {
    name: string;
    emptyDir?: unknown;
    persistentVolumeClaim?: { claimName: string };
    ephemeral?: { volumeClaimTemplate: { spec: { accessModes?: string[]; resources?: { requests?: Record<string, string> } } } };
  }[];
}

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    strategy?: { type?: string };
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  };
}

export interface ScaledObject extends KubeObject {
  spec: {
    scaleTargetRef: { name: string; kind?: string };
    minReplicaCount?: number;
    maxReplicaCount?: number;
    triggers: { type: string; metadata: Record<string, string> }[];
  };
}

/** A manifest document with the file it came from. */
export interface ManifestDocument extends YamlDocument {
  data: KubeObject;
}

/** The YAML files of deploy/k8s that hold Kubernetes objects (every one but kustomization.yaml). */
export async function manifestFiles(): Promise<string[]> {
  const names = (await readdir(K8S_DIR)).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
  return names.sort().map((f) => join(K8S_DIR, f));
}

/** Every Kubernetes object of deploy/k8s, secret.example.yaml included. */
export async function readKubernetesManifests(): Promise<ManifestDocument[]> {
  const docs: ManifestDocument[] = [];
  for (const file of await manifestFiles()) docs.push(...((await readYamlDocuments(file)) as ManifestDocument[]));
  return docs;
}

/** The objects of one kind. */
export function ofKind<T extends KubeObject>(docs: readonly ManifestDocument[], kind: string): T[] {
  return docs.filter((d) => d.data.kind === kind).map((d) => d.data as T);
}
