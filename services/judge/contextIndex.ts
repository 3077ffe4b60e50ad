import { splitSentences } from '../generate/splitSentences.ts';
import { lexicalGrounding, wordSet } from './lexicalGrounding.ts';

/** Lower case, Unicode-compatible forms, single spaces: how texts are compared with the context. */
export function normaliseForMatch(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"').replace(/\s+/g, ' ').trim();
}

/** A context prepared once per item: its normalised text, sentences and word sets. */
export interface ContextIndex {
  readonly words: ReadonlySet<string>;
  readonly sentences: readonly string[];
  /** True when the passage (trailing punctuation ignored) occurs verbatim in the context, up to case and spacing. */
  containsPassage(passage: string): boolean;
  /** True when the phrase occurs in the text as whole words, up to case and spacing. */
  containsPhrase(phrase: string, text?: string): boolean;
  /** The sentence sharing most content words with the text, and that share; `mustContain` restricts to sentences holding a phrase. */
  bestSentence(text: string, mustContain?: string): { sentence: string; share: number } | null;
}

/** Builds the index of a context. */
export function indexContext(context: string): ContextIndex {
  const norm = normaliseForMatch(context);
  const sentences = splitSentences(context);
  const sentenceWords = sentences.map((s) => wordSet(s));
  const containsPhrase = (phrase: string, text?: string): boolean => {
    const p = normaliseForMatch(phrase);
    if (!p) return false;
    const hay = text === undefined ? norm : normaliseForMatch(text);
    const escaped = p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'u').test(hay);
  };
  return {
    words: wordSet(context),
    sentences,
    containsPassage(passage) {
      const p = normaliseForMatch(passage).replace(/[\s.!?;:,]+$/, '');
      return p.length > 0 && norm.includes(p);
    },
    containsPhrase,
    bestSentence(text, mustContain) {
      let best: { sentence: string; share: number } | null = null;
      sentences.forEach((sentence, i) => {
        if (mustContain !== undefined && !containsPhrase(mustContain, sentence)) return;
        const { share } = lexicalGrounding(text, sentenceWords[i]!);
        if (!best || share > best.share) best = { sentence, share };
      });
      return best;
    },
  };
}
