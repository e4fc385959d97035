// The packed o200k counter against gpt-tokenizer, the library it takes its vocabulary from: the same
// count for every kind of text a prompt or an answer holds.
import { randomBytes } from 'node:crypto';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { beforeAll, describe, expect, it } from 'vitest';
import { o200k, type O200kCounter } from '../../src/tokenizer/o200k';

/** gpt-tokenizer counting special-token text as ordinary text, as prompts are. */
const reference = (text: string) => countTokens(text, { disallowedSpecial: new Set() });

/** Deterministic pseudo-random text over a mix of scripts, digits, punctuation and whitespace. */
function mixedText(seed: number, length: number): string {
  const alphabet = ['a', 'Z', 'é', 'ß', 'ж', 'Я', 'ع', 'ह', '日', '本', '한', '🙂', '🚀', '👍🏽', '0', '7', '.', ',', "'", "'s", '"', '(', '{', '\n', '\r\n', '\t', ' ', '  ', '/', '-', '_', '$', '€', '\u0301'];
  let state = seed;
  let out = '';
  while (out.length < length) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out += alphabet[state % alphabet.length];
  }
  return out;
}

describe('o200k token counts', () => {
  let counter: O200kCounter;
  beforeAll(async () => {
    counter = await o200k();
  });

  it('match gpt-tokenizer on prose, code, numbers, whitespace and other scripts', () => {
    const texts = [
      '',
      'hello there',
      "Hello, World! It's 2026; don't we'll they've I'M",
      'function add(a, b) {\n  return a + b; // sum\n}\n\n\tconst x = [1, 2, 3].map((n) => n ** 2);',
      '1234567890 3.14159 -42 1e10 0x1F 2026-11-28T03:00:00Z',
      '   leading and trailing   \n\n\n  \r\n\t\t',
      '東京は日本の首都であり、多くの人々が住んでいます。中文文本测试。한국어 텍스트입니다.',
      'Привет, мир! Ünïcödé façade naïve coöperate — “quotes” and ‘apostrophes’ … ¿Qué?',
      'مرحبا بالعالم. नमस्ते दुनिया। שלום עולם',
      '🙂👍🏽🚀🚀 emoji 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵',
      '{"model":"gpt-5-mini","messages":[{"role":"user","content":"hi"}],"temperature":0.2}',
      'a'.repeat(700),
      'ab'.repeat(300) + 'zzz',
      randomBytes(3_000).toString('base64'),
      randomBytes(1_000).toString('hex'),
    ];
    for (const text of texts) expect(counter.count(text), JSON.stringify(text.slice(0, 40))).toBe(reference(text));
  });

  it('match gpt-tokenizer on 300 mixed random texts', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const text = mixedText(seed, 20 + (seed % 400));
      expect(counter.count(text), `seed ${seed}`).toBe(reference(text));
    }
  });

  it('count special-token text such as <|endoftext|> as ordinary text instead of failing', () => {
    const text = 'before <|endoftext|> and <|im_start|>user<|im_sep|> after';
    expect(() => countTokens(text)).toThrow(/special token/i);
    expect(counter.count(text)).toBe(reference(text));
    expect(counter.count(text)).toBeGreaterThan(10);
  });

  it('is one counter per process', async () => {
    expect(await o200k()).toBe(counter);
  });
});
