import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HierarchyScorer } from '../../../services/judge/judge.ts';
import { createLlmJudge, LLM_JUDGE_VERSION } from '../../../services/judge/llmJudge.ts';
import { DEFAULT_THRESHOLDS } from '../../../services/judge/verdict.ts';
import { createLlmClient } from '../../../services/llm/llmClient.ts';
import { LlmAbortedError } from '../../../services/errors/medistillErrors.ts';
import {
  hang,
  invalidJson,
  replyJson,
  serverError,
  startOpenAiTestServer,
  type ChatRequestBody,
  type OpenAiTestServer,
} from '../../support/openaiTestServer.ts';
import { candidate, mcqCandidate } from './llmFixtures.ts';

const KEY = 'sk-judge-test-fedcba9876543210';
let server: OpenAiTestServer;

beforeAll(async () => {
  server = await startOpenAiTestServer();
});
afterEach(() => {
  server.reset();
  server.setResponder(() => '{}');
});
afterAll(() => server.close());

const goodScores = {
  grounded: { score: 0.95, reason: 'The 0.9 point fall is stated in the results.' },
  answerable: { score: 0.9, reason: 'The passage gives the figure.' },
  correct: { score: 1, reason: 'Matches the passage.' },
  clear: { score: 0.8, reason: 'Self-contained question.' },
};

/** Which option a VoC request argues for, read from the request; null for a scoring request. */
function vocLabel(body: ChatRequestBody): string | null {
  const user = body.messages?.find((m) => m.role === 'user')?.content ?? '';
  return /Argue for option ([A-E])/.exec(user)?.[1] ?? null;
}

/** Answers scoring requests with `scores` and VoC requests with supported = label in `survivors`. */
function scriptedJudge(scores: unknown, survivors: string[]) {
  return (body: ChatRequestBody) => {
    const label = vocLabel(body);
    if (label === null) return replyJson(scores);
    return replyJson({ argument: `The passage supports ${label}?`, supported: survivors.includes(label) });
  };
}

function judgeWith(scorer: HierarchyScorer = () => ({ score: 0.8, formula: 'wu-palmer-bma/v1' }), vocConcurrency = 2) {
  const client = createLlmClient({ baseUrl: server.url, apiKey: KEY, model: 'judge-model', minBackoffMs: 1, maxBackoffMs: 5, maxRetries: 1 });
  return createLlmJudge({ client, hierarchyScorer: scorer, thresholds: DEFAULT_THRESHOLDS, vocConcurrency, now: () => new Date('2024-05-02T00:00:00Z') });
}

describe('createLlmJudge', () => {
  it('takes the four criteria from the LLM and hierarchy from the scorer, and accepts a good open item', async () => {
    server.setResponder(scriptedJudge(goodScores, []));
    const calls: [string, readonly string[]][] = [];
    const item = candidate();
    const judged = await judgeWith((target, paper) => {
      calls.push([target, paper]);
      return { score: 0.42, formula: 'lcp-bma/v1' };
    }).judge(item);

    expect(calls).toEqual([['D008687', ['D003924', 'D008687', 'D007333']]]);
    expect(judged.scores.grounded).toEqual(goodScores.grounded);
    expect(judged.scores.clear).toEqual(goodScores.clear);
    expect(judged.scores.hierarchy.score).toBe(0.42);
    expect(judged.hierarchyFormula).toBe('lcp-bma/v1');
    expect(judged.voc).toBeNull();
    expect(judged.verdict).toBe('accept');
    expect(judged.rejectReasons).toEqual([]);
    expect(judged.candidate).toBe(item);
    expect(judged.judge).toEqual({ backend: 'llm', name: 'llm:judge-model', version: LLM_JUDGE_VERSION, promptVersion: 'judge-v1+voc-v1', model: 'judge-model' });
    expect(judged.judgedAt).toBe('2024-05-02T00:00:00.000Z');

    const requests = server.chatRequests();
    expect(requests).toHaveLength(1);
    const prompt = requests[0]?.body?.messages?.map((m) => m.content).join('\n') ?? '';
    expect(prompt).toContain(item.context);
    expect(prompt).toContain(item.question);
    expect(prompt).toContain(`Reference answer: ${item.answer}`);
    expect(prompt).not.toMatch(/"hierarchy"/);
  });

  it('rejects with low_correct and low_hierarchy when those scores are under their thresholds', async () => {
    server.setResponder(scriptedJudge({ ...goodScores, correct: { score: 0.2, reason: 'The passage says 0.9, not 1.9.' } }, []));
    const judged = await judgeWith(() => ({ score: 0.1, formula: 'wu-palmer-bma/v1' })).judge(candidate());
    expect(judged.verdict).toBe('reject');
    expect(judged.rejectReasons).toEqual(['low_correct', 'low_hierarchy']);
    expect(judged.scores.correct.reason).toBe('The passage says 0.9, not 1.9.');
  });

  it('passes Verification-of-Choice when only the keyed option survives, with one request per option', async () => {
    server.setResponder(scriptedJudge(goodScores, ['B']));
    const judged = await judgeWith().judge(mcqCandidate('B'));

    expect(judged.voc?.passed).toBe(true);
    expect(judged.voc?.survivors).toEqual(['B']);
    expect(judged.voc?.options.map((o) => [o.label, o.supported])).toEqual([
      ['A', false],
      ['B', true],
      ['C', false],
      ['D', false],
    ]);
    expect(judged.voc?.options[1]?.argument).toBe('The passage supports B?');
    expect(judged.verdict).toBe('accept');
    const labels = server.chatRequests().map((r) => (r.body ? vocLabel(r.body) : null));
    expect(labels.filter((l) => l !== null).sort()).toEqual(['A', 'B', 'C', 'D']);
    expect(labels.filter((l) => l === null)).toHaveLength(1);
  });

  it('does not reveal the key in Verification-of-Choice requests', async () => {
    server.setResponder(scriptedJudge(goodScores, ['B']));
    await judgeWith().judge(mcqCandidate('B'));
    for (const r of server.chatRequests().filter((r) => r.body && vocLabel(r.body))) {
      expect(r.body?.messages?.map((m) => m.content).join('\n')).not.toMatch(/Reference answer|answer: B/);
    }
  });

  it('fails Verification-of-Choice with voc_failed when two options survive', async () => {
    server.setResponder(scriptedJudge(goodScores, ['B', 'D']));
    const judged = await judgeWith().judge(mcqCandidate('B'));
    expect(judged.voc).toMatchObject({ survivors: ['B', 'D'], passed: false });
    expect(judged.verdict).toBe('reject');
    expect(judged.rejectReasons).toEqual(['voc_failed']);
  });

  it('fails Verification-of-Choice when the keyed option does not survive but another does', async () => {
    server.setResponder(scriptedJudge(goodScores, ['C']));
    const judged = await judgeWith().judge(mcqCandidate('B'));
    expect(judged.voc).toMatchObject({ survivors: ['C'], passed: false });
    expect(judged.rejectReasons).toEqual(['voc_failed']);
  });

  it('keeps at most vocConcurrency option requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const scripted = scriptedJudge(goodScores, ['B']);
    server.setResponder(async (body) => {
      if (vocLabel(body) === null) return scripted(body);
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(40);
      inFlight--;
      return scripted(body);
    });
    const judged = await judgeWith(undefined, 2).judge(mcqCandidate('B'));
    expect(judged.voc?.passed).toBe(true);
    expect(peak).toBe(2);
  });

  it('returns a rejected item with judge_error and the reason when the LLM keeps failing', async () => {
    server.setResponder(() => serverError(500, 'model crashed'));
    const judged = await judgeWith(() => ({ score: 0.7, formula: 'wu-palmer-bma/v1' })).judge(candidate());
    expect(judged.verdict).toBe('reject');
    expect(judged.rejectReasons).toEqual(['judge_error']);
    expect(judged.scores.grounded.score).toBe(0);
    expect(judged.scores.correct.reason).toMatch(/^judge_error: LLM unavailable at .* after 2 attempts: 500 model crashed$/);
    expect(judged.scores.hierarchy.score).toBe(0.7);
    expect(judged.hierarchyFormula).toBe('wu-palmer-bma/v1');
    expect(JSON.stringify(judged)).not.toContain(KEY);
    expect(server.sentKey(server.chatRequests()[0]!, KEY)).toBe(true);
  });

  it('returns judge_error when one option of a multiple-choice item gets unusable answers', async () => {
    const scripted = scriptedJudge(goodScores, ['B']);
    server.setResponder((body) => (vocLabel(body) === 'C' ? invalidJson('I think C is wrong') : scripted(body)));
    const judged = await judgeWith().judge(mcqCandidate('B'));
    expect(judged.verdict).toBe('reject');
    expect(judged.rejectReasons).toEqual(['judge_error']);
    expect(judged.voc).toBeNull();
    expect(judged.scores.clear.reason).toMatch(/judge_error: LLM answer unusable after one repair/);
  });

  it('throws LlmAbortedError instead of judging when the caller aborts', async () => {
    server.setResponder(() => hang());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    await expect(judgeWith().judge(candidate(), controller.signal)).rejects.toBeInstanceOf(LlmAbortedError);
  });
});
