// A deterministic stand-in for machine translation, shared by the translation mocks: a tiny
// English word table per target language, glossary terms applied first, and "[xx] text" when no
// word is known, so a test can always tell what was translated into which language.

const WORDS: Record<string, Record<string, string>> = {
  de: { hello: 'hallo', world: 'Welt', good: 'guten', morning: 'Morgen', thank: 'danke', you: 'dir', report: 'Bericht', the: 'der' },
  fr: { hello: 'bonjour', world: 'monde', good: 'bon', morning: 'matin', thank: 'merci', you: 'vous', report: 'rapport', the: 'le' },
  es: { hello: 'hola', world: 'mundo', good: 'buenos', morning: 'días', thank: 'gracias', you: 'tú', report: 'informe', the: 'el' },
  pt: { hello: 'olá', world: 'mundo', good: 'bom', morning: 'dia', thank: 'obrigado', you: 'você', report: 'relatório', the: 'o' },
  ja: { hello: 'こんにちは', world: '世界', good: 'おはよう', morning: 'ございます', report: '報告' },
  zh: { hello: '你好', world: '世界', good: '早上', morning: '好', report: '报告' },
};

/** Translates English-ish text into `target` (any case, any variant: "DE", "pt-BR", "ZH-HANS"). */
export function fakeTranslate(text: string, target: string, glossary: Record<string, string> = {}): string {
  const language = target.toLowerCase().split(/[-_]/)[0]!;
  const table = WORDS[language] ?? {};
  const kept: string[] = [];
  let protectedText = text;
  for (const [source, replacement] of Object.entries(glossary)) {
    const pattern = new RegExp(`\\b${source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'giu');
    protectedText = protectedText.replace(pattern, () => `\u0000${kept.push(replacement) - 1}\u0000`);
  }
  let known = kept.length > 0;
  const translated = protectedText.replace(/\p{L}+/gu, (word) => {
    const hit = table[word.toLowerCase()];
    if (hit === undefined) return word;
    known = true;
    return word[0] === word[0]!.toUpperCase() ? hit[0]!.toUpperCase() + hit.slice(1) : hit;
  });
  const restored = translated.replace(/\u0000(\d+)\u0000/g, (_, i: string) => kept[Number(i)]!);
  return known ? restored : `[${language}] ${text}`;
}

/** Guesses the language of a text from the word tables; English when nothing matches. */
export function fakeDetect(text: string): string {
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  for (const [language, table] of Object.entries(WORDS)) {
    const vocabulary = new Set(Object.values(table).map((w) => w.toLowerCase()));
    if (words.some((w) => vocabulary.has(w))) return language;
  }
  return 'en';
}

export function codePointLength(text: string): number {
  return [...text].length;
}
