// Our BCP 47 tags ↔ DeepL's language codes. DeepL names target variants only where it translates
// into them (EN-GB/EN-US, PT-BR/PT-PT, ZH-HANS/ZH-HANT, ES-419) and takes source languages without
// a variant. The bare EN, PT and ZH targets are deprecated (deepl-node refuses them), so a tag
// without a variant gets DeepL's most common one.
import { formatTag, parseTag } from '../shared/translation';

const SIMPLIFIED_CHINESE_REGIONS = new Set(['CN', 'SG', 'MY']);

/** "en" → "EN-US", "en-GB" → "EN-GB", "pt-BR" → "PT-BR", "zh-TW" → "ZH-HANT", "de-AT" → "DE". */
export function deeplTargetLang(tag: string): string {
  const { language, script, region } = parseTag(tag);
  switch (language) {
    case 'en':
      // Every English variant other than American follows British spelling.
      return region === null || region === 'US' ? 'EN-US' : 'EN-GB';
    case 'pt':
      return region === 'BR' ? 'PT-BR' : 'PT-PT';
    case 'zh':
      if (script === 'Hant') return 'ZH-HANT';
      if (script === 'Hans' || region === null || SIMPLIFIED_CHINESE_REGIONS.has(region)) return 'ZH-HANS';
      return 'ZH-HANT';
    case 'es':
      // DeepL's Latin American Spanish is keyed by the UN M.49 region code, as in BCP 47.
      return region === '419' ? 'ES-419' : 'ES';
    default:
      return language.toUpperCase();
  }
}

/** Source languages carry no variant: "pt-BR" → "PT", "zh-Hant" → "ZH". */
export function deeplSourceLang(tag: string): string {
  return parseTag(tag).language.toUpperCase();
}

/** Glossary dictionaries use lower-case base languages for both sides ("en" → "de"). */
export function deeplGlossaryLang(tag: string): string {
  return parseTag(tag).language;
}

/** DeepL's detected source ("EN", "ZH") as a BCP 47 tag ("en", "zh"). */
export function fromDeeplLang(code: string): string {
  return formatTag(code);
}
