/**
 * Drives the LLM call gate (rate limiter + AIMD concurrency) against a simulated LLM for a fixed
 * time and reports how much of the configured RPM / TPM limit it really used, how many requests
 * were dropped, how long calls waited, and the peak concurrency.
 *
 *   npx tsx bench/llmRateLimiter.ts [seconds]
 *
 * The workload (token estimates, real token counts, latencies, which attempts get a 429) is
 * generated from a fixed seed into bench/.data/ and read back, so runs differ only by timer jitter.
 */
import { setMaxListeners } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAimdConcurrency } from '../services/llm/aimdConcurrency.ts';
import { createLlmCallGate, type LlmCallGateEvent } from '../services/llm/llmCallGate.ts';
import { createLlmRateLimiter } from '../services/llm/llmRateLimiter.ts';
import { WaitAbortedError } from '../services/errors/medistillErrors.ts';
import { seededRandom } from './seededRandom.ts';

const RPM = 600;
const TPM = 60_000;
/** Five seconds' worth of burst, so the start-up burst does not dominate a 20 s run. */
const BURST_SECONDS = 5;
const WORKERS = 64;
const MAX_ATTEMPTS = 5;
const DURATION_MS = Number(process.argv[2] ?? 20) * 1000;
const JOBS = 4000;

interface Job {
  estimatedTokens: number;
  actualTokens: number;
  latencyMs: number;
  /** How many first attempts the server answers with 429. */
  overloadedAttempts: number;
  /** Retry-After the 429 carries, 0 for none. */
  retryAfterMs: number;
}

class SimulatedOverload extends Error {
  readonly status = 429;
  constructor(readonly retryAfterMs: number | undefined) {
    super('429 Too Many Requests');
  }
}


/** A workload shape: which limit binds depends on the tokens per request. */
interface Scenario {
  name: string;
  /** Smallest estimate; estimates are uniform in [minEstimate, 2 x minEstimate]. */
  minEstimate: number;
  seed: number;
}

const SCENARIOS: Scenario[] = [
  // ~116 real tokens per request: 60,000 TPM allows ~8.6 requests/s, below 600 RPM.
  { name: 'token-bound', minEstimate: 100, seed: 20240601 },
  // ~58 real tokens per request: 600 RPM binds first.
  { name: 'request-bound', minEstimate: 50, seed: 20240602 },
];

function workload(scenario: Scenario): Job[] {
  const path = join(dirname(fileURLToPath(import.meta.url)), '.data', `llmRateLimiter-${scenario.name}.json`);
  const random = seededRandom(scenario.seed);
  const jobs: Job[] = [];
  for (let i = 0; i < JOBS; i++) {
    // Estimate = prompt + max_tokens, so the real count is usually lower: refunds matter.
    const estimatedTokens = scenario.minEstimate + Math.floor(random() * (scenario.minEstimate + 1));
    const actualTokens = Math.round(estimatedTokens * (0.5 + random() * 0.55));
    const latencyMs = 50 + Math.floor(random() * 251);
    const roll = random();
    const overloadedAttempts = roll < 0.002 ? 2 : roll < 0.02 ? 1 : 0;
    const retryAfterMs = overloadedAttempts > 0 && random() < 0.5 ? 250 : 0;
    jobs.push({ estimatedTokens, actualTokens, latencyMs, overloadedAttempts, retryAfterMs });
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(jobs));
  return JSON.parse(readFileSync(path, 'utf8')) as Job[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface Figures {
  requestShare: number;
  tokenShare: number;
  sent: number;
  allowedRequests: number;
  tokens: number;
  allowedTokens: number;
  completed: number;
  cancelled: number;
  overloads: number;
  dropped: number;
  waitP50: number;
  waitP99: number;
  peakConcurrency: number;
  finalLimit: number;
}

async function run(scenario: Scenario): Promise<Figures> {
  const jobs = workload(scenario);
  const rateLimiter = createLlmRateLimiter({
    requestsPerMinute: RPM,
    tokensPerMinute: TPM,
    burstRequests: (RPM / 60) * BURST_SECONDS,
    burstTokens: (TPM / 60) * BURST_SECONDS,
    maxQueue: 1000,
  });
  const concurrency = createAimdConcurrency({ maxLimit: 32, maxQueue: 1000 });
  const waits: number[] = [];
  const gate = createLlmCallGate({
    rateLimiter,
    concurrency,
    onEvent: (event: LlmCallGateEvent) => {
      if (event.outcome !== 'refused') waits.push(event.rateWaitMs + event.slotWaitMs);
    },
  });

  const start = performance.now();
  const deadline = start + DURATION_MS;
  // At the deadline, calls still waiting for tokens or a slot are cancelled (not counted as dropped).
  const stop = new AbortController();
  setMaxListeners(WORKERS * 2, stop.signal); // one listener per waiting caller is expected here
  const stopTimer = setTimeout(() => stop.abort(new Error('bench over')), DURATION_MS);
  let cancelled = 0;
  let next = 0;
  let running = 0;
  let peakConcurrency = 0;
  let sentInWindow = 0;
  let overloads = 0;
  let tokensInWindow = 0;
  let completed = 0;
  let dropped = 0;
  const attempts = new Map<number, number>();

  // The simulated server: it counts what reaches it, fails the first attempts of some jobs with 429.
  async function serve(index: number, job: Job): Promise<number> {
    const attempt = (attempts.get(index) ?? 0) + 1;
    attempts.set(index, attempt);
    const sentAt = performance.now();
    const inWindow = sentAt <= deadline;
    if (inWindow) sentInWindow += 1;
    running += 1;
    peakConcurrency = Math.max(peakConcurrency, running);
    try {
      await new Promise((resolve) => setTimeout(resolve, attempt <= job.overloadedAttempts ? 20 : job.latencyMs));
      if (attempt <= job.overloadedAttempts) {
        overloads += 1;
        throw new SimulatedOverload(job.retryAfterMs > 0 ? job.retryAfterMs : undefined);
      }
      if (inWindow) tokensInWindow += job.actualTokens;
      return job.actualTokens;
    } finally {
      running -= 1;
    }
  }

  async function worker(): Promise<void> {
    while (performance.now() < deadline) {
      const index = next++ % jobs.length;
      const job = jobs[index] as Job;
      let done = false;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS && !done; attempt++) {
        try {
          await gate({
            estimatedTokens: job.estimatedTokens,
            call: () => serve(index, job),
            tokensUsed: (n) => n,
            signal: stop.signal,
          });
          completed += 1;
          done = true;
        } catch (error) {
          if (error instanceof WaitAbortedError) {
            cancelled += 1;
            done = true;
          } else if (!(error instanceof SimulatedOverload)) {
            console.error(error);
            break;
          }
        }
      }
      if (!done) dropped += 1;
    }
  }

  await Promise.all(Array.from({ length: WORKERS }, () => worker()));
  clearTimeout(stopTimer);
  const allowedRequests = (RPM / 60) * BURST_SECONDS + (RPM / 60_000) * DURATION_MS;
  const allowedTokens = (TPM / 60) * BURST_SECONDS + (TPM / 60_000) * DURATION_MS;
  waits.sort((a, b) => a - b);
  return {
    requestShare: sentInWindow / allowedRequests,
    tokenShare: tokensInWindow / allowedTokens,
    sent: sentInWindow,
    allowedRequests,
    tokens: tokensInWindow,
    allowedTokens,
    completed,
    cancelled,
    overloads,
    dropped,
    waitP50: percentile(waits, 50),
    waitP99: percentile(waits, 99),
    peakConcurrency,
    finalLimit: concurrency.limit,
  };
}

async function main(): Promise<void> {
  const results: [Scenario, Figures][] = [];
  for (const scenario of SCENARIOS) results.push([scenario, await run(scenario)]);
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const column = (f: (r: Figures) => string): string[] => results.map(([, r]) => f(r));

  console.log(`\n### LLM call gate under ${RPM} RPM / ${TPM.toLocaleString('en')} TPM, ${DURATION_MS / 1000} s per scenario, ${WORKERS} callers\n`);
  console.log(line(['figure', ...results.map(([s]) => s.name), 'target']));
  console.log(line(['---', ...results.map(() => '---'), '---']));
  console.log(line(['share of the binding limit used', ...column((r) => pct(Math.max(r.requestShare, r.tokenShare))), '>= 95 %']));
  console.log(line(['requests sent / allowed', ...column((r) => `${r.sent} / ${Math.round(r.allowedRequests)} (${pct(r.requestShare)})`), '']));
  console.log(line(['tokens used / allowed', ...column((r) => `${r.tokens} / ${Math.round(r.allowedTokens)} (${pct(r.tokenShare)})`), '']));
  console.log(line(['calls completed / cancelled at the end', ...column((r) => `${r.completed} / ${r.cancelled}`), '']));
  console.log(line(['simulated 429s', ...column((r) => String(r.overloads)), '']));
  console.log(line(['requests dropped', ...column((r) => String(r.dropped)), '0']));
  console.log(line(['wait p50 / p99 (rate + slot)', ...column((r) => `${r.waitP50.toFixed(0)} ms / ${r.waitP99.toFixed(0)} ms`), '']));
  console.log(line(['peak concurrency (AIMD limit at end)', ...column((r) => `${r.peakConcurrency} (${r.finalLimit})`), '']));
  console.log(`\npeak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  console.log(
    `${WORKERS} callers offer more than the limit allows, so waits are queueing time in the limiter, as intended.`,
  );
  console.log('Baseline: the configured limit itself (burst + rate x duration); no other limiter is run.');
}

await main();
