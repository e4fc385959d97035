// What the transcription mocks "hear": a fixed script spread over the uploaded audio's real
// duration, so every provider's timestamps, words and speakers are consistent and checkable.
// Each mock renders it in its own provider's wire format.

export interface ScriptWord {
  /** Lower-case, unpunctuated (Deepgram's `word`). */
  word: string;
  /** As written in the transcript (Whisper's and AssemblyAI's words, Deepgram's `punctuated_word`). */
  punctuated: string;
  start: number;
  end: number;
  speaker: number;
}

export interface ScriptSentence {
  text: string;
  start: number;
  end: number;
  speaker: number;
  words: ScriptWord[];
}

export interface Script {
  text: string;
  duration: number;
  sentences: ScriptSentence[];
  words: ScriptWord[];
}

export const SCRIPT_SENTENCES = ['Hello from the Switchyard mock.', 'This audio is a test tone.', 'Every word has its own time.'];

/** Two speakers take turns by sentence; speech fills the first 90% of the audio. */
export function scriptFor(duration: number): Script {
  const tokens = SCRIPT_SENTENCES.flatMap((sentence, s) => sentence.split(' ').map((punctuated) => ({ punctuated, s })));
  const slot = (duration * 0.9) / tokens.length;
  const words: ScriptWord[] = tokens.map((t, i) => ({
    word: t.punctuated.replace(/[.,!?]/g, '').toLowerCase(),
    punctuated: t.punctuated,
    start: round(i * slot),
    end: round(i * slot + slot * 0.8),
    speaker: t.s % 2,
  }));
  const sentences = SCRIPT_SENTENCES.map((text, s) => {
    const own = words.filter((_, i) => tokens[i]!.s === s);
    return { text, start: own[0]!.start, end: own.at(-1)!.end, speaker: s % 2, words: own };
  });
  return { text: SCRIPT_SENTENCES.join(' '), duration, sentences, words };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** SubRip or WebVTT cues, one per sentence, as OpenAI renders them. */
export function subtitles(script: Script, format: 'srt' | 'vtt'): string {
  const stamp = (t: number) => {
    const ms = Math.round(t * 1000);
    const hh = String(Math.floor(ms / 3_600_000)).padStart(2, '0');
    const mm = String(Math.floor(ms / 60_000) % 60).padStart(2, '0');
    const ss = String(Math.floor(ms / 1000) % 60).padStart(2, '0');
    return `${hh}:${mm}:${ss}${format === 'srt' ? ',' : '.'}${String(ms % 1000).padStart(3, '0')}`;
  };
  const cues = script.sentences.map((s, i) => `${format === 'srt' ? `${i + 1}\n` : ''}${stamp(s.start)} --> ${stamp(s.end)}\n${s.text}\n`);
  return `${format === 'vtt' ? 'WEBVTT\n\n' : ''}${cues.join('\n')}`;
}
