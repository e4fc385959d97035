// The languages the local engine can read: those whose `@tesseract.js-data/<code>` package is
// installed. Nothing is downloaded at run time. tesseract.js reads every language from one folder
// (`langPath`) while each package has its own, so the engine links the installed files into one
// private folder, which it removes when it closes.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink, copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** BCP 47 primary language → tesseract's traineddata code, for the packages one might install. */
const TESSERACT_CODES: Record<string, string> = {
  en: 'eng', de: 'deu', fr: 'fra', es: 'spa', it: 'ita', pt: 'por', nl: 'nld', sv: 'swe', da: 'dan', no: 'nor', nb: 'nor',
  fi: 'fin', pl: 'pol', cs: 'ces', sk: 'slk', hu: 'hun', ro: 'ron', tr: 'tur', el: 'ell', ru: 'rus', uk: 'ukr', bg: 'bul',
  ja: 'jpn', ko: 'kor', zh: 'chi_sim', ar: 'ara', he: 'heb', hi: 'hin', vi: 'vie', id: 'ind', th: 'tha',
};
const DEFAULT_LANGUAGE = 'en';

/** The LSTM-only, integer-quantised models: the smaller and faster data the default engine uses. */
const DATA_FOLDER = '4.0.0_best_int';

export interface InstalledLanguage {
  /** BCP 47 primary language, e.g. "de". */
  tag: string;
  /** tesseract code, e.g. "deu". */
  code: string;
  file: string;
}

/** Every language whose data package is installed. */
export function installedLanguages(): InstalledLanguage[] {
  const found: InstalledLanguage[] = [];
  for (const [tag, code] of Object.entries(TESSERACT_CODES)) {
    if (found.some((l) => l.code === code)) continue;
    let packageDir: string;
    try {
      packageDir = path.dirname(require.resolve(`@tesseract.js-data/${code}/package.json`));
    } catch {
      continue;
    }
    const file = path.join(packageDir, DATA_FOLDER, `${code}.traineddata.gz`);
    if (existsSync(file)) found.push({ tag, code, file });
  }
  return found;
}

/**
 * The `langs` argument for a job's language hints ("de-AT", "en" → "deu+eng"): installed languages
 * in the order hinted; hints for languages not installed are ignored; English when none is left.
 */
export function tesseractLanguages(hints: string[] | undefined, installed: InstalledLanguage[]): string {
  const codes: string[] = [];
  for (const hint of hints ?? []) {
    const tag = hint.toLowerCase().split('-')[0]!;
    const language = installed.find((l) => l.tag === tag || (TESSERACT_CODES[tag] && l.code === TESSERACT_CODES[tag]));
    if (language && !codes.includes(language.code)) codes.push(language.code);
  }
  if (codes.length === 0) codes.push(installed.find((l) => l.tag === DEFAULT_LANGUAGE)?.code ?? installed[0]?.code ?? 'eng');
  return codes.join('+');
}

/** A private folder with `<code>.traineddata.gz` of every installed language, for `langPath`. */
export async function linkLanguageFolder(installed: InstalledLanguage[]): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'switchyard-tessdata-'));
  for (const language of installed) {
    const target = path.join(folder, path.basename(language.file));
    // Links cost nothing; a file system without them gets copies.
    await symlink(language.file, target).catch(() => copyFile(language.file, target));
  }
  return folder;
}

export async function removeLanguageFolder(folder: string): Promise<void> {
  await rm(folder, { recursive: true, force: true });
}
