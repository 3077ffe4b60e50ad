/** One instruction of a Dockerfile: its keyword (upper case), the rest of its line(s), where it starts. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** One build stage: `FROM <base> [AS <name>]` and the instructions up to the next FROM. */
export interface Stage {
  name: string | null;
  base: string;
  instructions: Instruction[];
}

/** A parsed Dockerfile: ARG defaults declared before the first FROM, and the stages in order. */
export interface Dockerfile {
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/**
 * Splits a Dockerfile into instructions the way the builder reads it: `#` lines are comments
 * (parser directives included), a trailing backslash continues the instruction on the next line,
 * and comment lines inside a continuation are dropped.
 */
export function readInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let current: { parts: string[]; line: number } | null = null;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (current === null && trimmed === '')) return;
    const continues = trimmed.endsWith('\\');
    const body = continues ? trimmed.slice(0, -1).trim() : trimmed;
    current ??= { parts: [], line: i + 1 };
    if (body !== '') current.parts.push(body);
    if (!continues) {
      const joined = current.parts.join(' ');
      const match = /^(\S+)\s*(.*)$/s.exec(joined);
      if (match) out.push({ keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '', line: current.line });
      current = null;
    }
  });
  return out;
}

/** Replaces `${NAME}` and `$NAME` with the given values; unknown names are left as they are. */
export function substituteArgs(value: string, args: Record<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => args[braced ?? bare ?? ''] ?? whole);
}

/** Parses a Dockerfile into its global ARG defaults and its stages. */
export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of readInstructions(text)) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const base = substituteArgs(words[0] ?? '', globalArgs);
      const name = words.length >= 3 && (words[1] ?? '').toUpperCase() === 'AS' ? (words[2] ?? null) : null;
      stages.push({ name, base, instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (stage) {
      stage.instructions.push(ins);
    } else if (ins.keyword === 'ARG') {
      const [key, value] = ins.args.split('=', 2);
      if (key) globalArgs[key.trim()] = (value ?? '').trim();
    }
  }
  return { globalArgs, stages };
}

/** The JSON (exec) form of CMD, ENTRYPOINT, RUN or HEALTHCHECK CMD, or null for the shell form. */
export function execForm(args: string): string[] | null {
  const text = args.trim();
  if (!text.startsWith('[')) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? (parsed as string[]) : null;
  } catch {
    return null;
  }
}

/** A COPY or ADD: the stage it copies from (null: the build context), its sources and destination. */
export interface CopySpec {
  from: string | null;
  sources: string[];
  dest: string;
}

/** Reads the flags, sources and destination of a COPY or ADD instruction. */
export function copySpec(ins: Instruction): CopySpec {
  const words = execForm(ins.args) ?? ins.args.split(/\s+/).filter(Boolean);
  let from: string | null = null;
  const paths: string[] = [];
  for (const w of words) {
    if (w.startsWith('--from=')) from = w.slice('--from='.length);
    else if (!w.startsWith('--')) paths.push(w);
  }
  return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] ?? '' };
}

/** The key=value pairs of an ENV instruction (also the legacy `ENV KEY value` form). */
export function envPairs(ins: Instruction): Record<string, string> {
  const out: Record<string, string> = {};
  if (!ins.args.includes('=')) {
    const [key, ...rest] = ins.args.split(/\s+/);
    if (key) out[key] = rest.join(' ');
    return out;
  }
  for (const m of ins.args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const raw = m[2] ?? '';
    out[m[1] ?? ''] = raw.startsWith('"') ? raw.slice(1, -1) : raw;
  }
  return out;
}
