import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { posix, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadServiceConfig, serviceEnvNames } from '../../../services/config/serviceConfig.ts';
import { bundledMeshPath } from '../../../services/cli/runCommand.ts';
import { packageRoot } from '../../../services/config/packageRoot.ts';
import { copySpec, envPairs, execForm, parseDockerfile, type Dockerfile, type Instruction, type Stage } from './dockerfileInstructions.ts';
import { createDockerignore } from './dockerignoreMatcher.ts';
import { repoPath } from './repoPaths.ts';

let dockerfile: Dockerfile;
let dockerignoreText: string;
let pkg: { scripts: Record<string, string>; bin: Record<string, string> };

beforeAll(async () => {
  dockerfile = parseDockerfile(await readFile(repoPath('Dockerfile'), 'utf8'));
  dockerignoreText = await readFile(repoPath('.dockerignore'), 'utf8');
  pkg = JSON.parse(await readFile(repoPath('package.json'), 'utf8')) as typeof pkg;
});

function finalStage(d: Dockerfile = dockerfile): Stage {
  const stage = d.stages[d.stages.length - 1];
  if (!stage) throw new Error('the Dockerfile has no FROM');
  return stage;
}

function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

function last(stage: Stage, keyword: string): Instruction | undefined {
  return all(stage, keyword).at(-1);
}

/** The user a stage's processes run as, or null when the stage never sets one (root). */
function effectiveUser(stage: Stage): string | null {
  return last(stage, 'USER')?.args.trim() ?? null;
}

function runsRoot(user: string | null): boolean {
  return user === null || /^(root|0)(:|$)/.test(user);
}

const defaults = loadServiceConfig({});

describe('Dockerfile', () => {
  it('builds in a stage with the dev dependencies and runs from a Node 24 LTS slim stage with production dependencies only', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    const runtime = finalStage();
    expect(runtime.base).toMatch(/^node:24[\w.-]*-slim$/);
    const build = dockerfile.stages.find((s) => all(s, 'RUN').some((r) => /\bnpm run build\b/.test(r.args)));
    expect(build, 'a stage runs npm run build').toBeDefined();
    expect(build).not.toBe(runtime);
    expect(all(build as Stage, 'RUN').some((r) => /\bnpm ci\b(?!.*--omit=dev)/.test(r.args)), 'the build stage installs dev dependencies').toBe(true);
    expect(all(runtime, 'RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r.args)), 'the runtime stage runs npm ci --omit=dev').toBe(true);
    expect(all(runtime, 'RUN').some((r) => /npm run build|\btsc\b/.test(r.args)), 'no compiler in the runtime stage').toBe(false);
  });

  it('runs on the Node LTS line CI tests on, and package.json engines asks for no older one', async () => {
    const ci = await readFile(repoPath('.ci/run'), 'utf8');
    const lts = /^NODE_LTS=(\d+)\.\d+\.\d+$/m.exec(ci)?.[1];
    expect(lts, '.ci/run pins NODE_LTS').toBeDefined();
    expect(finalStage().base.startsWith(`node:${lts}.`) || finalStage().base.startsWith(`node:${lts}-`)).toBe(true);
    const engines = (JSON.parse(await readFile(repoPath('package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe(`>=${lts}`);
  });

  it('copies the compiled dist/ from the build stage, so bin/medistill.js runs it instead of falling back to tsx', async () => {
    const names = dockerfile.stages.map((s) => s.name);
    const fromBuild = all(finalStage(), 'COPY').map(copySpec).filter((c) => c.from !== null);
    expect(fromBuild.length).toBeGreaterThan(0);
    for (const c of fromBuild) expect(names.slice(0, -1), `COPY --from=${c.from}`).toContain(c.from);
    const dist = fromBuild.find((c) => c.sources.some((s) => /\/dist\/?$/.test(s)));
    expect(dist?.dest.replace(/\/+$/, '')).toMatch(/^(\.\/)?dist$|\/dist$/);
    // bin/medistill.js loads dist/services/cli/medistill.js: tsconfig.build.json compiles services/ with rootDir "." into dist/.
    const bin = await readFile(repoPath('bin/medistill.js'), 'utf8');
    expect(bin).toContain("'dist/services/cli/medistill.js'");
    expect(existsSync(repoPath('services/cli/medistill.ts'))).toBe(true);
    const build = JSON.parse(await readFile(repoPath('tsconfig.build.json'), 'utf8')) as { include?: string[] };
    expect(build.include).toContain('services');
  });

  it('puts package.json and the bundled MeSH subset at the package root, where the compiled code finds them', () => {
    // services/config/packageRoot.ts walks up from the compiled file to the folder of medistill's package.json.
    const bundled = relative(packageRoot(), bundledMeshPath());
    const copied = all(finalStage(), 'COPY').flatMap((c) => {
      const spec = copySpec(c);
      return spec.sources.map((src) => posix.normalize(posix.join(spec.dest, spec.sources.length > 1 || spec.dest.endsWith('/') ? posix.basename(src) : '')));
    });
    expect(copied.some((d) => d === 'package.json' || d === './package.json')).toBe(true);
    expect(copied.some((d) => bundled.startsWith(d.replace(/^\.\//, '')))).toBe(true);
  });

  it('copies only sources that exist and that .dockerignore lets into the build context', () => {
    const ignored = createDockerignore(dockerignoreText);
    const sources = dockerfile.stages.flatMap((s) => all(s, 'COPY').concat(all(s, 'ADD'))).map(copySpec).filter((c) => c.from === null).flatMap((c) => c.sources);
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) {
      expect(existsSync(repoPath(source)), `${source} exists`).toBe(true);
      expect(ignored(source), `${source} is excluded by .dockerignore`).toBe(false);
    }
    // The compiled entry point's source is in the context; tests and local state are not.
    expect(ignored('services/cli/medistill.ts')).toBe(false);
    expect(ignored('services/cli/main.test.ts')).toBe(true);
    for (const kept of ['node_modules/kafkajs/package.json', 'dist/services/cli/medistill.js', '.stack/state.json', 'deploy/compose.env', '.git/HEAD']) {
      expect(ignored(kept), `${kept} stays out of the context`).toBe(true);
    }
  });

  it('calls only npm scripts that package.json defines', () => {
    const runs = dockerfile.stages.flatMap((s) => all(s, 'RUN')).flatMap((r) => [...r.args.matchAll(/\bnpm run ([\w:-]+)/g)].map((m) => m[1] ?? ''));
    expect(runs.length).toBeGreaterThan(0);
    for (const script of runs) expect(Object.keys(pkg.scripts), `npm run ${script}`).toContain(script);
  });

  it('runs as a non-root numeric user, so Kubernetes can verify runAsNonRoot', () => {
    const user = effectiveUser(finalStage());
    expect(runsRoot(user), `USER ${user ?? '(unset)'}`).toBe(false);
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    const userIndex = finalStage().instructions.findIndex((i) => i.keyword === 'USER');
    const entryIndex = finalStage().instructions.findIndex((i) => i.keyword === 'ENTRYPOINT');
    expect(userIndex).toBeLessThan(entryIndex);
  });

  it('has the medistill command as ENTRYPOINT, bin/medistill.js as package.json declares it', () => {
    const entry = last(finalStage(), 'ENTRYPOINT');
    expect(entry && execForm(entry.args)).toEqual(['node', 'bin/medistill.js']);
    expect(pkg.bin.medistill?.replace(/^\.\//, '')).toBe('bin/medistill.js');
    expect(existsSync(repoPath('bin/medistill.js'))).toBe(true);
    const cmd = last(finalStage(), 'CMD');
    expect(cmd && execForm(cmd.args), 'CMD in exec form, replaced by the service name').not.toBeNull();
  });

  it('exposes the metrics port and checks health on /healthz with node fetch (no curl in slim images)', () => {
    expect(all(finalStage(), 'EXPOSE').map((e) => e.args.trim())).toContain(String(defaults.metricsPort));
    const health = last(finalStage(), 'HEALTHCHECK');
    expect(health).toBeDefined();
    const command = execForm((health?.args ?? '').replace(/^.*?\bCMD\s+/s, ''));
    expect(command?.[0]).toBe('node');
    const script = command?.join(' ') ?? '';
    expect(script).toContain('fetch(');
    expect(script).toContain('/healthz');
    expect(script).toContain(String(defaults.metricsPort));
    expect(script).toContain('MEDISTILL_METRICS_PORT');
  });

  it('sets only environment variables the services read (or Node itself)', () => {
    const env = Object.assign({}, ...all(finalStage(), 'ENV').map(envPairs)) as Record<string, string>;
    const known = new Set(serviceEnvNames());
    const names = Object.keys(env);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(known.has(name) || name === 'NODE_ENV', `ENV ${name}`).toBe(true);
  });

  it('the checks catch a root user, a missing COPY source and an ignored one (the parser reads what they test)', () => {
    const text = ['FROM node:20-slim AS build', 'COPY nothere ./x', 'FROM node:20-slim', 'USER root', 'COPY services ./services', 'ENTRYPOINT ["node", "bin/medistill.js"]'].join('\n');
    const broken = parseDockerfile(text);
    expect(runsRoot(effectiveUser(finalStage(broken)))).toBe(true);
    const source = copySpec(all(broken.stages[0] as Stage, 'COPY')[0] as Instruction).sources[0] ?? '';
    expect(existsSync(repoPath(source))).toBe(false);
    expect(createDockerignore('*\n!bin/\n')('services')).toBe(true);
    expect(parseDockerfile('ARG IMG=node:20-bookworm-slim\nFROM ${IMG} AS b\nRUN a \\\n  # note\n  && b').stages[0]).toMatchObject({ base: 'node:20-bookworm-slim', name: 'b', instructions: [{ keyword: 'RUN', args: 'a && b' }] });
  });
});
