// Language tags as clients write them ("EN-us", "zh-hans", "pt_BR" aside) are put in BCP 47's
// canonical case before the schemas check them, so only tags that are wrong are refused, not ones
// cased differently. Tags Intl cannot read are left as they are for the schema to refuse by name.
export function canonicalLanguageTag(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return Intl.getCanonicalLocales(value.trim())[0] ?? value;
  } catch {
    return value;
  }
}
