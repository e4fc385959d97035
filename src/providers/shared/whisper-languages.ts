// Whisper reports the spoken language by English name ("english") in verbose_json; Deepgram and
// AssemblyAI report codes. TranscriptionResult.language is an ISO 639 code whatever the provider,
// so the names are mapped back with Whisper's own table (openai/whisper, whisper/tokenizer.py).
const WHISPER_LANGUAGES =
  'en:english zh:chinese de:german es:spanish ru:russian ko:korean fr:french ja:japanese pt:portuguese ' +
  'tr:turkish pl:polish ca:catalan nl:dutch ar:arabic sv:swedish it:italian id:indonesian hi:hindi ' +
  'fi:finnish vi:vietnamese he:hebrew uk:ukrainian el:greek ms:malay cs:czech ro:romanian da:danish ' +
  'hu:hungarian ta:tamil no:norwegian th:thai ur:urdu hr:croatian bg:bulgarian lt:lithuanian la:latin ' +
  'mi:maori ml:malayalam cy:welsh sk:slovak te:telugu fa:persian lv:latvian bn:bengali sr:serbian ' +
  'az:azerbaijani sl:slovenian kn:kannada et:estonian mk:macedonian br:breton eu:basque is:icelandic ' +
  'hy:armenian ne:nepali mn:mongolian bs:bosnian kk:kazakh sq:albanian sw:swahili gl:galician ' +
  'mr:marathi pa:punjabi si:sinhala km:khmer sn:shona yo:yoruba so:somali af:afrikaans oc:occitan ' +
  'ka:georgian be:belarusian tg:tajik sd:sindhi gu:gujarati am:amharic yi:yiddish lo:lao uz:uzbek ' +
  'fo:faroese ht:haitian_creole ps:pashto tk:turkmen nn:nynorsk mt:maltese sa:sanskrit ' +
  'lb:luxembourgish my:myanmar bo:tibetan tl:tagalog mg:malagasy as:assamese tt:tatar haw:hawaiian ' +
  'ln:lingala ha:hausa ba:bashkir jw:javanese su:sundanese yue:cantonese';

const NAME_BY_CODE = new Map<string, string>();
const CODE_BY_NAME = new Map<string, string>();
for (const pair of WHISPER_LANGUAGES.split(' ')) {
  const [code, name] = pair.split(':') as [string, string];
  NAME_BY_CODE.set(code, name.replace('_', ' '));
  CODE_BY_NAME.set(name.replace('_', ' '), code);
}
// Whisper's aliases for the same languages.
for (const [alias, code] of Object.entries({ burmese: 'my', valencian: 'ca', flemish: 'nl', haitian: 'ht', letzeburgesch: 'lb', pushto: 'ps', panjabi: 'pa', moldavian: 'ro', moldovan: 'ro', sinhalese: 'si', castilian: 'es', mandarin: 'zh' })) {
  CODE_BY_NAME.set(alias, code);
}

/** "english" / "English" / "en" → "en"; a value Whisper does not know is returned lower-cased as it came. */
export function whisperLanguageCode(reported: string): string {
  const value = reported.trim().toLowerCase();
  if (NAME_BY_CODE.has(value)) return value;
  return CODE_BY_NAME.get(value) ?? value;
}

/** "en" → "english", the form OpenAI's verbose_json uses; null for a code Whisper does not know. */
export function whisperLanguageName(code: string): string | null {
  return NAME_BY_CODE.get(code.trim().toLowerCase()) ?? null;
}
