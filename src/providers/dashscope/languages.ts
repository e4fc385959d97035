// Qwen-MT names languages in English ("Chinese", "Traditional Chinese", "Portuguese") in
// translation_options; these are the ones of its supported-language table that Switchyard maps
// from BCP 47 tags. Regional variants (pt-BR, en-GB) translate as their base language.
// https://www.alibabacloud.com/help/en/model-studio/machine-translation (Supported languages)
import { parseTag } from '../shared/translation';

const NAMES: Record<string, string> = {
  af: 'Afrikaans',
  ar: 'Arabic',
  be: 'Belarusian',
  bg: 'Bulgarian',
  bn: 'Bengali',
  bs: 'Bosnian',
  ca: 'Catalan',
  cs: 'Czech',
  da: 'Danish',
  de: 'German',
  el: 'Greek',
  en: 'English',
  es: 'Spanish',
  et: 'Estonian',
  eu: 'Basque',
  fi: 'Finnish',
  fr: 'French',
  gl: 'Galician',
  gu: 'Gujarati',
  he: 'Hebrew',
  hi: 'Hindi',
  hr: 'Croatian',
  hu: 'Hungarian',
  hy: 'Armenian',
  id: 'Indonesian',
  is: 'Icelandic',
  it: 'Italian',
  ja: 'Japanese',
  jv: 'Javanese',
  ka: 'Georgian',
  km: 'Khmer',
  ko: 'Korean',
  lo: 'Lao',
  ms: 'Malay',
  my: 'Burmese',
  nl: 'Dutch',
  pl: 'Polish',
  pt: 'Portuguese',
  ro: 'Romanian',
  ru: 'Russian',
  sr: 'Serbian',
  sv: 'Swedish',
  ta: 'Tamil',
  te: 'Telugu',
  th: 'Thai',
  tr: 'Turkish',
  uk: 'Ukrainian',
  ur: 'Urdu',
  vi: 'Vietnamese',
  yue: 'Cantonese',
  zh: 'Chinese',
};

/** The BCP 47 tags Qwen-MT translates from and into, as the catalog lists them. */
export const QWEN_MT_LANGUAGES = [...Object.keys(NAMES), 'zh-Hant'].sort();

/** Qwen-MT's name for a language tag, or null when Switchyard has no mapping for it. */
export function toQwenMtLanguage(tag: string): string | null {
  const { language, script, region } = parseTag(tag);
  if (language === 'zh' && (script === 'Hant' || (script === null && region !== null && ['TW', 'HK', 'MO'].includes(region)))) {
    return 'Traditional Chinese';
  }
  return NAMES[language] ?? null;
}
