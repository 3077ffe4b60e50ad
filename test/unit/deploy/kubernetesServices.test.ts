import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadServiceConfig, SERVICE_OPTIONS, serviceEnvNames, type ServiceConfig } from '../../../services/config/serviceConfig.ts';
import { TOPICS } from '../../../services/contracts/avroSchemas.ts';
import { startMetricsServer, type MetricsServer } from '../../../services/metrics/metricsServer.ts';
import { cliServiceCommands } from './cliServiceCommands.ts';
import { ofKind, readKubernetesManifests, type Container, type Deployment, type KubeObject, type ManifestDocument, type ScaledObject } from './kubernetesManifests.ts';

/** Variables a container may set besides the services' own options: Node's, read by the runtime. */
const RUNTIME_ENV = new Set(['NODE_OPTIONS']);
const SERVICES = ['ingest', 'annotate', 'generate', 'judge', 'preferences', 'export'];
/** The stages KEDA scales, with the topic each consumes. */
const SCALED: Record<string, string> = { annotate: TOPICS.records, generate: TOPICS.annotated, judge: TOPICS.candidates, preferences: TOPICS.judged };
const SINGLE = ['ingest', 'export'];
/** The pods that read the literature index, each from a sidecar's copy. */
const INDEXED = ['annotate', 'judge'];

let docs: ManifestDocument[];
let configMap: KubeObject & { data: Record<string, string> };
let secret: KubeObject & { stringData?: Record<string, string>; data?: Record<string, string> };
let deployments: Deployment[];
let commands: string[];

function deployment(name: string): Deployment {
  const d = deployments.find((x) => x.metadata.name === name);
  if (!d) throw new Error(`no Deployment ${name}`);
  return d;
}

function container(d: Deployment): Container {
  const c = d.spec.template.spec.containers[0];
  if (!c || d.spec.template.spec.containers.length !== 1) throw new Error(`${d.metadata.name}: expected one container`);
  return c;
}

/** What a service in this Deployment reads: the ConfigMap, then the Secret, then its own env (as kubelet layers them). */
function effectiveEnv(d: Deployment): Record<string, string> {
  const c = container(d);
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef?.name === configMap.metadata.name) Object.assign(env, configMap.data);
    if (from.secretRef?.name === secret.metadata.name) Object.assign(env, secret.stringData ?? {});
  }
  for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  return env;
}

function serviceConfig(d: Deployment): ServiceConfig {
  const env = Object.fromEntries(Object.entries(effectiveEnv(d)).filter(([k]) => !RUNTIME_ENV.has(k)));
  return loadServiceConfig(env);
}

/** A probe's or Service's port, resolved through the container's named ports. */
function portNumber(c: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

function mountHolding(d: Deployment, path: string): { name: string; mountPath: string } | undefined {
  return container(d).volumeMounts?.find((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
}

beforeAll(async () => {
  docs = await readKubernetesManifests();
  configMap = ofKind<typeof configMap>(docs, 'ConfigMap')[0] as typeof configMap;
  secret = ofKind<typeof secret>(docs, 'Secret')[0] as typeof secret;
  deployments = ofKind<Deployment>(docs, 'Deployment');
  commands = await cliServiceCommands();
});

describe('deploy/k8s and the services', () => {
  it('the ConfigMap, the Secret and every container set only variables the services accept', () => {
    const known = new Set(serviceEnvNames());
    const unknown = [
      ...Object.keys(configMap.data).filter((k) => !known.has(k)).map((k) => `ConfigMap ${k}`),
      ...Object.keys({ ...secret.data, ...secret.stringData }).filter((k) => !known.has(k)).map((k) => `Secret ${k}`),
      ...deployments.flatMap((d) => (container(d).env ?? []).filter((e) => !known.has(e.name) && !RUNTIME_ENV.has(e.name)).map((e) => `${d.metadata.name} env ${e.name}`)),
    ];
    expect(unknown).toEqual([]);
    for (const d of deployments) expect(() => serviceConfig(d), d.metadata.name).not.toThrow();
  });

  it('keeps every secret option in the Secret and none in the ConfigMap', () => {
    const secrets = Object.values(SERVICE_OPTIONS).filter((o) => 'secret' in o && o.secret).map((o) => o.env).sort();
    expect(Object.keys({ ...secret.data, ...secret.stringData }).sort()).toEqual(secrets);
    expect(Object.keys(configMap.data).filter((k) => secrets.includes(k))).toEqual([]);
    for (const d of deployments) {
      expect((container(d).env ?? []).filter((e) => secrets.includes(e.name) && e.value !== undefined).map((e) => e.name), d.metadata.name).toEqual([]);
      const refs = (container(d).envFrom ?? []).map((f) => f.configMapRef?.name ?? f.secretRef?.name);
      expect(refs, d.metadata.name).toEqual([configMap.metadata.name, secret.metadata.name]);
    }
  });

  it('runs each service with a real medistill service command named like its Deployment', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([...SERVICES].sort());
    for (const d of deployments) {
      const c = container(d);
      const argv = [...(c.command ?? []), ...(c.args ?? [])];
      expect(argv, d.metadata.name).toEqual([d.metadata.name]);
      expect(commands, `medistill ${argv[0] ?? ''}`).toContain(argv[0]);
      expect(c.image, d.metadata.name).toMatch(/^medistill:/);
    }
  });

  it('exposes the metrics port the service listens on to probes, the scrape annotations and the Service', () => {
    for (const d of deployments) {
      const c = container(d);
      const port = serviceConfig(d).metricsPort;
      const name = d.metadata.name;
      expect(c.ports?.map((p) => p.containerPort), name).toEqual([port]);
      for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) expect(portNumber(c, probe?.httpGet?.port), name).toBe(port);
      const annotations = d.spec.template.metadata.annotations ?? {};
      expect(annotations['prometheus.io/scrape'], name).toBe('true');
      expect(annotations['prometheus.io/port'], name).toBe(String(port));
      expect(annotations['prometheus.io/path'], name).toBe('/metrics');
      const service = ofKind<KubeObject & { spec: { selector: Record<string, string>; ports: { name?: string; targetPort: number | string }[] } }>(docs, 'Service').find((s) => s.metadata.name === name);
      expect(service, `Service ${name}`).toBeDefined();
      expect(portNumber(c, service?.spec.ports[0]?.targetPort), name).toBe(port);
      expect(d.spec.template.metadata.labels, name).toMatchObject(service?.spec.selector ?? { missing: 'selector' });
    }
  });

  it('probes the paths the metrics server serves: liveness and startup on /healthz, readiness on /readyz', async () => {
    let ready = false;
    const server: MetricsServer = await startMetricsServer({ registry: new Registry(), port: 0, host: '127.0.0.1', ready: () => ({ ok: ready }) });
    try {
      const status = async (path: string): Promise<number> => (await fetch(`http://127.0.0.1:${server.port}${path}`)).status;
      for (const d of deployments) {
        const c = container(d);
        for (const probe of [c.startupProbe, c.livenessProbe]) expect(await status(probe?.httpGet?.path ?? '(none)'), `${d.metadata.name} liveness`).toBe(200);
        const readiness = c.readinessProbe?.httpGet?.path ?? '(none)';
        ready = false;
        expect(await status(readiness), `${d.metadata.name} readiness before the service is connected`).toBe(503);
        ready = true;
        expect(await status(readiness), `${d.metadata.name} readiness once connected`).toBe(200);
      }
      expect(await status('/ready')).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('lets every pod drain for longer than MEDISTILL_SHUTDOWN_TIMEOUT_MS before SIGKILL', () => {
    for (const d of deployments) {
      const grace = d.spec.template.spec.terminationGracePeriodSeconds ?? 30;
      expect(grace * 1000, d.metadata.name).toBeGreaterThan(serviceConfig(d).shutdownTimeoutMs);
    }
  });

  it('runs every container as non-root on a read-only root filesystem, with /tmp on an emptyDir and memory bounded', () => {
    for (const d of deployments) {
      const c = container(d);
      const pod = d.spec.template.spec;
      const name = d.metadata.name;
      expect(pod.securityContext?.runAsNonRoot, name).toBe(true);
      expect(pod.securityContext?.runAsUser, name).toBeGreaterThan(0);
      expect(c.securityContext?.readOnlyRootFilesystem, name).toBe(true);
      expect(c.securityContext?.allowPrivilegeEscalation, name).toBe(false);
      const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir, `${name} /tmp`).toBeDefined();
      const request = c.resources?.requests?.memory ?? '';
      const limit = c.resources?.limits?.memory ?? '';
      const mib = (q: string): number => Number(/^(\d+)Mi$/.exec(q)?.[1] ?? Number(/^(\d+)Gi$/.exec(q)?.[1] ?? NaN) * 1024);
      // Above the 300 MB steady-state target of DESIGN.md, so a healthy service is never OOM-killed.
      expect(mib(limit), `${name} memory limit ${limit}`).toBeGreaterThan(300 * 1e6 / 2 ** 20);
      expect(mib(request), `${name} memory request ${request}`).toBeLessThanOrEqual(mib(limit));
      expect(c.resources?.requests?.cpu, name).toBeDefined();
      const heap = /--max-old-space-size=(\d+)/.exec((c.env ?? []).find((e) => e.name === 'NODE_OPTIONS')?.value ?? '');
      if (heap) expect(Number(heap[1]), `${name} V8 heap below the container limit`).toBeLessThan(mib(limit));
    }
  });

  it('scales annotate, generate, judge and preferences with KEDA on their own group and input topic, up to the partition count of MEDISTILL_TOPIC_PARTITIONS', () => {
    const scaled = ofKind<ScaledObject>(docs, 'ScaledObject');
    expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual(Object.keys(SCALED).sort());
    for (const so of scaled) {
      const d = deployment(so.spec.scaleTargetRef.name);
      const config = serviceConfig(d);
      const name = d.metadata.name;
      expect(so.spec.scaleTargetRef.kind ?? 'Deployment', name).toBe('Deployment');
      expect(so.spec.maxReplicaCount, `${name} maxReplicaCount = MEDISTILL_TOPIC_PARTITIONS`).toBe(config.topicPartitions);
      expect(so.spec.minReplicaCount ?? 0, name).toBeLessThanOrEqual(so.spec.maxReplicaCount ?? 0);
      expect(d.spec.replicas, `${name} leaves the replica count to KEDA`).toBeUndefined();
      expect(so.spec.triggers).toHaveLength(1);
      const trigger = so.spec.triggers[0];
      expect(trigger?.type).toBe('kafka');
      expect(trigger?.metadata.bootstrapServers, name).toBe(config.kafkaBrokers.join(','));
      expect(trigger?.metadata.consumerGroup, name).toBe(config.groupId ?? `medistill-${name}`);
      expect(trigger?.metadata.topic, name).toBe(SCALED[name]);
      const pdb = ofKind<KubeObject & { spec: { selector: { matchLabels: Record<string, string> } } }>(docs, 'PodDisruptionBudget').find((p) => p.metadata.name === name);
      expect(d.spec.template.metadata.labels, `${name} PodDisruptionBudget selects its pods`).toMatchObject(pdb?.spec.selector.matchLabels ?? { missing: 'pdb' });
    }
  });

  it('runs ingest and export as one replica with the Recreate strategy, their state on a persistent volume', () => {
    const claims = ofKind(docs, 'PersistentVolumeClaim').map((c) => c.metadata.name);
    for (const name of SINGLE) {
      const d = deployment(name);
      expect(d.spec.replicas, name).toBe(1);
      expect(d.spec.strategy?.type, name).toBe('Recreate');
      expect(ofKind<ScaledObject>(docs, 'ScaledObject').some((s) => s.spec.scaleTargetRef.name === name), name).toBe(false);
    }
    const ingest = serviceConfig(deployment('ingest'));
    expect(ingest.ingestSource).toBe('eutils');
    const stateMount = mountHolding(deployment('ingest'), ingest.ingestStateDir);
    const exportDir = serviceConfig(deployment('export')).exportDir;
    // The export swaps its dataset folder whole and keeps <dir>.state beside it: the volume must hold the folder's parent.
    const exportMount = mountHolding(deployment('export'), exportDir);
    expect(exportMount?.mountPath, `${exportDir} is inside the volume, not its mount point`).not.toBe(exportDir);
    for (const [d, mount] of [[deployment('ingest'), stateMount], [deployment('export'), exportMount]] as const) {
      const claim = d.spec.template.spec.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName;
      expect(claims, `${d.metadata.name} state volume`).toContain(claim);
    }
  });

  it('the ServiceMonitor scrapes /metrics on the named metrics port of every medistill Service', () => {
    const monitor = ofKind<KubeObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port?: string; path?: string }[] } }>(docs, 'ServiceMonitor')[0];
    const services = ofKind<KubeObject & { spec: { ports: { name?: string }[] } }>(docs, 'Service');
    expect(monitor?.spec.endpoints.map((e) => e.path)).toEqual(['/metrics', '/metrics']);
    // The Redis of the LLM response cache has no metrics port, and the monitor's selector must not pick it.
    const redis = services.find((s) => s.metadata.name === 'medistill-redis');
    expect(redis?.metadata.labels?.['app.kubernetes.io/name']).not.toBe(monitor?.spec.selector.matchLabels['app.kubernetes.io/name']);
    for (const s of services.filter((x) => x !== redis)) {
      expect(s.metadata.labels, s.metadata.name).toMatchObject(monitor?.spec.selector.matchLabels ?? { missing: 'selector' });
      expect(s.spec.ports.map((p) => p.name), s.metadata.name).toContain(monitor?.spec.endpoints[0]?.port);
    }
    // The second endpoint scrapes the index sidecars, on the Services of the pods that carry one.
    const withSidecar = services.filter((s) => s.spec.ports.some((p) => p.name === monitor?.spec.endpoints[1]?.port)).map((s) => s.metadata.name);
    expect(withSidecar.sort()).toEqual([...INDEXED].sort());
  });

  it('gives the judge and annotate pods an index sidecar that materialises pubmed.annotated.v1 into a per-pod volume sized for the baseline, which the service reads', () => {
    for (const name of INDEXED) {
      const d = deployment(name);
      const pod = d.spec.template.spec;
      const sidecars = pod.initContainers ?? [];
      expect(sidecars.map((c) => [c.name, c.restartPolicy, [...(c.command ?? []), ...(c.args ?? [])]]), name).toEqual([['index', 'Always', ['index']]]);
      expect(commands, name).toContain('index');
      const sidecar = sidecars[0]!;
      // The sidecar's settings, layered as kubelet does, are ones the index service accepts.
      const env: Record<string, string> = { ...configMap.data, ...(secret.stringData ?? {}) };
      for (const e of sidecar.env ?? []) if (e.value !== undefined) env[e.name] = e.value.replace('$(POD_NAME)', `${name}-5d8f7c9b4-x2k7q`);
      const known = new Set([...serviceEnvNames(), ...RUNTIME_ENV, 'POD_NAME']);
      expect((sidecar.env ?? []).map((e) => e.name).filter((n) => !known.has(n)), name).toEqual([]);
      const sidecarConfig = loadServiceConfig(Object.fromEntries(Object.entries(env).filter(([k]) => !RUNTIME_ENV.has(k) && k !== 'POD_NAME')));
      // A group per pod (every replica reads every partition), from the pod's name.
      expect(sidecarConfig.groupId, name).toBe(`medistill-index-${name}-5d8f7c9b4-x2k7q`);
      expect((sidecar.env ?? []).find((e) => e.name === 'POD_NAME')?.valueFrom, name).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
      // Its own metrics port (one network namespace per pod), probed there.
      expect(sidecarConfig.metricsPort, name).not.toBe(serviceConfig(d).metricsPort);
      expect(portNumber(sidecar, sidecar.startupProbe?.httpGet?.port), name).toBe(sidecarConfig.metricsPort);
      expect(sidecar.securityContext?.readOnlyRootFilesystem, name).toBe(true);
      expect(sidecar.resources?.limits?.memory, name).toBeDefined();
      // Both containers name the same folder, on the same volume.
      const dir = serviceConfig(d).indexDir;
      expect(dir, name).toBeDefined();
      expect(sidecarConfig.indexDir, name).toBe(dir);
      const mainMount = mountHolding(d, dir!);
      const sideMount = sidecar.volumeMounts?.find((m) => dir === m.mountPath || dir!.startsWith(`${m.mountPath}/`));
      expect(mainMount?.name, name).toBeDefined();
      expect(sideMount?.name, name).toBe(mainMount?.name);
      // A volume of the pod's own, at least the README's sizing: 38 M abstracts at 3 KB each.
      const volume = pod.volumes?.find((v) => v.name === mainMount?.name);
      const claim = volume?.ephemeral?.volumeClaimTemplate.spec;
      expect(claim?.accessModes, name).toEqual(['ReadWriteOnce']);
      const gi = Number(/^(\d+)Gi$/.exec(claim?.resources?.requests?.storage ?? '')?.[1] ?? NaN);
      expect(gi * 2 ** 30, `${name} index volume`).toBeGreaterThanOrEqual(38e6 * 3e3);
    }
    expect(serviceConfig(deployment('annotate')).meshNeighbours).toBe(true);
  });
});
