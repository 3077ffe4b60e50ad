import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadServiceConfig, SERVICE_OPTIONS, serviceEnvNames } from '../../../services/config/serviceConfig.ts';
import { cliServiceCommands } from './cliServiceCommands.ts';
import { repoPath } from './repoPaths.ts';
import { loadDeployValidators, type DeployValidators } from './schemaValidators.ts';
import { readYamlDocuments } from './yamlDocuments.ts';

const COMPOSE_FILE = repoPath('deploy/compose.yaml');
const COMPOSE_DIR = dirname(COMPOSE_FILE);
const MEDISTILL_SERVICES = ['ingest', 'annotate', 'generate', 'judge', 'preferences', 'export'];

interface ComposeService {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: (string | { path: string; required?: boolean })[] | string;
  healthcheck?: { test?: string[] | string; start_period?: string };
  depends_on?: Record<string, { condition?: string }> | string[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  stop_grace_period?: string;
  read_only?: boolean;
  tmpfs?: string[] | string;
  ports?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

let validators: DeployValidators;
let compose: ComposeFile;
let envExample: Record<string, string>;
let commands: string[];

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1] ?? ''] = (m[2] ?? '').trim();
  }
  return out;
}

function environment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [e.split('=')[0] ?? '', e.split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function service(name: string): ComposeService {
  const s = compose.services[name];
  if (!s) throw new Error(`compose.yaml has no service ${name}`);
  return s;
}

/** Compose durations (`45s`, `1m30s`) in milliseconds. */
function durationMs(text: string): number {
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return ms;
}

function mounts(s: ComposeService): { source: string; target: string }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source ?? '', target: v.target };
    const [source = '', target = ''] = v.split(':');
    return { source, target };
  });
}

beforeAll(async () => {
  validators = await loadDeployValidators();
  const docs = await readYamlDocuments(COMPOSE_FILE);
  expect(docs).toHaveLength(1);
  compose = docs[0]?.data as ComposeFile;
  envExample = parseEnvFile(await readFile(repoPath('deploy/compose.env.example'), 'utf8'));
  commands = await cliServiceCommands();
});

describe('deploy/compose.yaml', () => {
  it('is valid against the Compose Specification schema', () => {
    const verdict = validators.compose(compose);
    expect(verdict.errors, verdict.schema).toEqual([]);
  });

  it('is rejected by the schema when broken: a misspelt service key, a bad depends_on condition', () => {
    const typo = structuredClone(compose);
    (typo.services.annotate as Record<string, unknown>).healtcheck = { test: ['CMD', 'true'] };
    expect(validators.compose(typo).errors.join('\n')).toContain('healtcheck');
    const condition = structuredClone(compose);
    (condition.services.judge as ComposeService).depends_on = { kafka: { condition: 'service_ready' } };
    expect(validators.compose(condition).errors.length).toBeGreaterThan(0);
  });

  it('runs every medistill service from the one image, each with a real medistill service command', () => {
    const images = new Set<string>();
    for (const name of MEDISTILL_SERVICES) {
      const s = service(name);
      images.add(s.image ?? '');
      const command = Array.isArray(s.command) ? s.command : (s.command ?? '').split(/\s+/);
      expect(command, name).toEqual([name]);
      expect(commands, `medistill ${name}`).toContain(command[0]);
    }
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/^medistill:/);
  });

  it('sets only variables the services accept, from environment and from compose.env', () => {
    const known = new Set(serviceEnvNames());
    const set = [...new Set([...MEDISTILL_SERVICES.flatMap((n) => Object.keys(environment(service(n)))), ...Object.keys(envExample)])];
    expect(set.length).toBeGreaterThan(10);
    expect(set.filter((n) => !known.has(n))).toEqual([]);
    // The settings validate as the services would read them (compose.env filled in with samples).
    const filled = { ...envExample, MEDISTILL_EUTILS_EMAIL: 'someone@example.org' };
    for (const name of MEDISTILL_SERVICES) expect(() => loadServiceConfig({ ...filled, ...environment(service(name)) }), name).not.toThrow();
  });

  it('takes the LLM and NCBI keys from a git-ignored compose.env, whose committed example holds no secret', async () => {
    for (const name of MEDISTILL_SERVICES) {
      const files = [service(name).env_file ?? []].flat().map((f) => (typeof f === 'string' ? f : f.path));
      expect(files, name).toContain('compose.env');
    }
    const secrets = Object.values(SERVICE_OPTIONS).filter((o) => 'secret' in o && o.secret).map((o) => o.env);
    for (const secret of secrets.filter((s) => s in envExample)) expect(envExample[secret], secret).toBe('');
    for (const key of ['MEDISTILL_LLM_BASE_URL', 'MEDISTILL_LLM_API_KEY', 'MEDISTILL_LLM_MODEL', 'MEDISTILL_LLM_RPM', 'MEDISTILL_LLM_TPM', 'MEDISTILL_LLM_MAX_CONCURRENCY', 'MEDISTILL_EUTILS_EMAIL', 'MEDISTILL_EUTILS_API_KEY']) {
      expect(Object.keys(envExample)).toContain(key);
      for (const name of MEDISTILL_SERVICES) expect(Object.keys(environment(service(name))), `${name} must leave ${key} to compose.env`).not.toContain(key);
    }
    const ignore = (await readFile(repoPath('deploy/.gitignore'), 'utf8')).split('\n').map((l) => l.trim());
    expect(ignore).toContain('compose.env');
  });

  it('checks each service on /healthz at its metrics port, and stops it later than its drain timeout', () => {
    for (const name of MEDISTILL_SERVICES) {
      const s = service(name);
      const config = loadServiceConfig(environment(s));
      const test = [s.healthcheck?.test ?? []].flat().join(' ');
      expect(test, name).toContain(`http://127.0.0.1:${config.metricsPort}/healthz`);
      expect(durationMs(s.stop_grace_period ?? '10s'), name).toBeGreaterThan(config.shutdownTimeoutMs);
      expect(s.read_only, name).toBe(true);
      expect([s.tmpfs ?? []].flat().some((t) => t.startsWith('/tmp')), `${name} has a writable /tmp`).toBe(true);
    }
  });

  it('starts the services once Kafka and the registry are healthy, and points them at both', () => {
    expect(service('kafka').image).toMatch(/^apache\/kafka:4\.1\.\d+$/);
    expect(service('registry').image).toMatch(/^apicurio\/apicurio-registry:3\.\d+\.\d+$/);
    const kafkaEnv = environment(service('kafka'));
    expect(kafkaEnv.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    for (const dep of ['kafka', 'registry']) expect(service(dep).healthcheck?.test, dep).toBeDefined();
    for (const name of MEDISTILL_SERVICES) {
      const s = service(name);
      const deps = s.depends_on as Record<string, { condition?: string }>;
      expect(deps.kafka?.condition, name).toBe('service_healthy');
      expect(deps.registry?.condition, name).toBe('service_healthy');
      const config = loadServiceConfig(environment(s));
      expect(kafkaEnv.KAFKA_ADVERTISED_LISTENERS?.split(',').map((l) => l.replace(/^\w+:\/\//, ''))).toEqual(expect.arrayContaining(config.kafkaBrokers));
      const registry = new URL(config.registryUrl);
      expect(Object.keys(compose.services)).toContain(registry.hostname);
      expect(registry.port).toBe('8080');
      expect(registry.pathname).toBe('/apis/ccompat/v7');
    }
  });

  it('keeps the registry\'s schemas in KafkaSQL on the stack\'s broker, so a registry restart keeps every schema and id', () => {
    const registryEnv = environment(service('registry'));
    expect(registryEnv.APICURIO_STORAGE_KIND).toBe('kafkasql');
    const kafkaEnv = environment(service('kafka'));
    expect(kafkaEnv.KAFKA_ADVERTISED_LISTENERS?.split(',').map((l) => l.replace(/^\w+:\/\//, ''))).toContain(registryEnv.APICURIO_KAFKASQL_BOOTSTRAP_SERVERS);
    expect((service('registry').depends_on as Record<string, { condition?: string }>).kafka?.condition).toBe('service_healthy');
  });

  it('runs ingest on E-utilities with its checkpoints, and export with its dataset, on named volumes', () => {
    const ingest = loadServiceConfig({ ...environment(service('ingest')), MEDISTILL_EUTILS_EMAIL: 'a@example.org' });
    expect(ingest.ingestSource).toBe('eutils');
    const ingestMounts = mounts(service('ingest'));
    expect(ingestMounts.some((m) => ingest.ingestStateDir === m.target || ingest.ingestStateDir.startsWith(`${m.target}/`))).toBe(true);
    // The export swaps its dataset folder whole and keeps <dir>.state beside it: both must be on the volume.
    const exportDir = loadServiceConfig(environment(service('export'))).exportDir;
    const volume = mounts(service('export')).find((m) => exportDir.startsWith(`${m.target}/`));
    expect(volume, `a volume holds ${exportDir} and its siblings`).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(volume?.source);
  });

  it('mounts the Prometheus config, whose targets are the services by their compose names and metrics port', async () => {
    const prometheus = mounts(service('prometheus'));
    for (const m of prometheus.filter((x) => x.source.startsWith('.'))) expect(existsSync(join(COMPOSE_DIR, m.source)), m.source).toBe(true);
    const configMount = prometheus.find((m) => m.target === '/etc/prometheus/prometheus.yml');
    expect(configMount).toBeDefined();
    const config = (await readYamlDocuments(join(COMPOSE_DIR, configMount?.source ?? '')))[0]?.data as {
      rule_files?: string[];
      scrape_configs: { static_configs?: { targets: string[] }[] }[];
    };
    for (const rules of config.rule_files ?? []) {
      expect(prometheus.map((m) => m.target), rules).toContain(isAbsolute(rules) ? rules : posix.join('/etc/prometheus', rules));
    }
    const targets = config.scrape_configs.flatMap((j) => j.static_configs ?? []).flatMap((s) => s.targets);
    for (const name of MEDISTILL_SERVICES) {
      expect(targets, name).toContain(`${name}:${loadServiceConfig(environment(service(name))).metricsPort}`);
    }
  });

  it('provisions Grafana from grafana/ at the paths its provisioning files name, with an anonymous viewer', async () => {
    const grafana = service('grafana');
    const m = mounts(grafana);
    for (const x of m.filter((y) => y.source.startsWith('.'))) expect(existsSync(join(COMPOSE_DIR, x.source)), x.source).toBe(true);
    expect(m.find((x) => x.target === '/etc/grafana/provisioning')?.source).toBe('../grafana/provisioning');
    const provider = (await readYamlDocuments(repoPath('grafana/provisioning/dashboards/medistill.yml')))[0]?.data as { providers: { options: { path: string } }[] };
    expect(m.find((x) => x.target === provider.providers[0]?.options.path)?.source).toBe('../grafana/dashboards');
    const datasource = (await readYamlDocuments(repoPath('grafana/provisioning/datasources/prometheus.yml')))[0]?.data as { datasources: { url: string }[] };
    const url = new URL(datasource.datasources[0]?.url ?? '');
    expect(Object.keys(compose.services)).toContain(url.hostname);
    expect(environment(grafana).GF_AUTH_ANONYMOUS_ENABLED).toBe('true');
    expect(environment(grafana).GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
  });
});
