import type { ChatRequestBody, Responder } from './openaiTestServer.ts';

/**
 * A responder for the OpenAI test server that plays a well-behaved model for medistill's prompts:
 * it writes one item per generation slot (built from the abstract's sentences), scores judge
 * requests, and in Verification-of-Choice supports only the option whose text occurs in the passage.
 * It lets end-to-end tests run the LLM backends through real HTTP with predictable answers.
 */
export function simulatedModel(options: { judgeScore?: number } = {}): Responder {
  const judgeScore = options.judgeScore ?? 0.9;
  return (body: ChatRequestBody) => {
    const system = body.messages?.find((m) => m.role === 'system')?.content ?? '';
    const user = body.messages?.find((m) => m.role === 'user')?.content ?? '';
    if (system.includes('verify multiple-choice items')) return verifyChoice(user);
    if (system.includes('review question-answer items')) {
      const s = { score: judgeScore, reason: 'supported by the passage' };
      return JSON.stringify({ grounded: s, answerable: s, correct: s, clear: s });
    }
    if (system.includes('write question-answer items')) return generate(user);
    return JSON.stringify({ error: 'unrecognised prompt' });
  };
}

function between(text: string, start: string, end: string): string {
  const i = text.indexOf(start);
  if (i < 0) return '';
  const j = text.indexOf(end, i + start.length);
  return text.slice(i + start.length, j < 0 ? undefined : j).trim();
}

function generate(user: string): string {
  const abstract = between(user, '<<<', '>>>');
  const title = /^Title: (.*)$/m.exec(user)?.[1]?.trim() ?? 'the study';
  const sentences = abstract.split(/(?<=\.)\s+/).filter((s) => s.length > 20);
  const first = sentences[0] ?? abstract;
  const last = sentences[sentences.length - 1] ?? abstract;
  const slots = [...user.matchAll(/^(\d+)\. type (\w+); target (D\d+) "([^"]+)"/gm)];
  const items = slots.map(([, slot, type, ui, name]) => {
    if (type === 'yes_no_maybe') {
      return { slot: Number(slot), type, targetUi: ui, question: `In "${title}", is ${name} discussed as an outcome-relevant factor?`, answer: 'yes', longAnswer: last };
    }
    if (type === 'multiple_choice') {
      return {
        slot: Number(slot),
        type,
        targetUi: ui,
        question: `Which statement about ${name} does "${title}" report?`,
        options: [
          { label: 'A', text: first },
          { label: 'B', text: 'An unrelated finding about dental caries.' },
          { label: 'C', text: 'An unrelated finding about migraine.' },
          { label: 'D', text: 'An unrelated finding about glaucoma.' },
        ],
        answer: 'A',
        explanation: 'Option A is stated in the abstract.',
      };
    }
    return { slot: Number(slot), type, targetUi: ui, question: `What does "${title}" report about ${name}?`, answer: first, explanation: 'Stated in the abstract.' };
  });
  return JSON.stringify({ items });
}

function verifyChoice(user: string): string {
  const passage = between(user, '<<<', '>>>');
  const option = /Argue for option [A-E] \("([^"]*)"\)/.exec(user)?.[1] ?? '';
  const supported = option.length > 0 && passage.includes(option);
  return JSON.stringify({ argument: supported ? 'The passage states it.' : 'The passage does not mention it.', supported });
}
