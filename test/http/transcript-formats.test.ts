import { describe, expect, it } from 'vitest';
import { formatSrt, formatVtt, renderTranscript, subtitleCues, subtitleTimestamp } from '../../src/http/transcript-formats';
import type { TranscriptionResult } from '../../src/tasks/transcription';

const segmented: TranscriptionResult = {
  text: 'Hello there. General Kenobi!',
  language: 'en',
  duration: 4.25,
  segments: [
    { id: 0, start: 0, end: 1.5, text: 'Hello there.' },
    { id: 1, start: 1.75, end: 4.0006, text: 'General Kenobi!' },
  ],
  words: [
    { word: 'Hello', start: 0, end: 0.6 },
    { word: 'there.', start: 0.7, end: 1.5 },
    { word: 'General', start: 1.75, end: 2.5 },
    { word: 'Kenobi!', start: 2.6, end: 4 },
  ],
};

const usage = { type: 'duration', seconds: 4.25, cost_usd: '0.000425' };

describe('subtitle timestamps', () => {
  it('writes hours, minutes, seconds and milliseconds with the format’s separator', () => {
    expect(subtitleTimestamp(0, ',')).toBe('00:00:00,000');
    expect(subtitleTimestamp(3723.4567, ',')).toBe('01:02:03,457');
    expect(subtitleTimestamp(59.9996, '.')).toBe('00:01:00.000');
    expect(subtitleTimestamp(-0.2, '.')).toBe('00:00:00.000');
  });
});

describe('SubRip and WebVTT', () => {
  it('numbers SubRip cues from 1 and separates them with a blank line', () => {
    expect(formatSrt(subtitleCues(segmented, 4.25))).toBe(
      '1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n2\n00:00:01,750 --> 00:00:04,001\nGeneral Kenobi!\n',
    );
  });

  it('starts WebVTT with its header and escapes cue text that would read as markup', () => {
    const result = { ...segmented, segments: [{ id: 0, start: 0, end: 2, text: 'a < b && c --> d' }] };
    expect(formatVtt(subtitleCues(result, 2))).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:02.000\na &lt; b &amp;&amp; c --&gt; d\n');
  });

  it('keeps each cue on one line, so a newline in the text cannot end the cue early', () => {
    const result = { ...segmented, segments: [{ id: 0, start: 0, end: 1, text: ' line one\n\nline two ' }] };
    expect(subtitleCues(result, 1)).toEqual([{ start: 0, end: 1, text: 'line one line two' }]);
  });

  it('cuts cues at sentence ends from word timings when the provider gave no segments', () => {
    const cues = subtitleCues({ ...segmented, segments: [] }, 4.25);
    expect(cues).toEqual([
      { start: 0, end: 1.5, text: 'Hello there.' },
      { start: 1.75, end: 4, text: 'General Kenobi!' },
    ]);
  });

  it('cuts long unpunctuated word runs into cues of at most seven seconds', () => {
    const words = Array.from({ length: 20 }, (_, i) => ({ word: `w${i}`, start: i, end: i + 0.5 }));
    const cues = subtitleCues({ ...segmented, segments: [], words }, 20);
    expect(cues.length).toBeGreaterThan(2);
    for (const cue of cues) expect(cue.end - cue.start).toBeLessThanOrEqual(7);
    expect(cues.map((c) => c.text).join(' ')).toBe(words.map((w) => w.word).join(' '));
  });

  it('spans the whole audio with one cue when there are neither segments nor words', () => {
    const cues = subtitleCues({ ...segmented, segments: [], words: [], duration: null }, 9.5);
    expect(cues).toEqual([{ start: 0, end: 9.5, text: 'Hello there. General Kenobi!' }]);
  });

  it('drops empty cues and never lets a cue end before it starts', () => {
    const result = { ...segmented, segments: [{ id: 0, start: 2, end: 1, text: 'late' }, { id: 1, start: 3, end: 4, text: '  ' }] };
    expect(subtitleCues(result, 4)).toEqual([{ start: 2, end: 2, text: 'late' }]);
  });
});

describe('renderTranscript', () => {
  const context = { durationSeconds: 4.3, includeWords: false, usage };

  it('answers json as {text, usage}', () => {
    expect(renderTranscript('json', segmented, context)).toEqual({ contentType: 'application/json', body: { text: segmented.text, usage } });
  });

  it('answers text as the transcript and a newline, like OpenAI', () => {
    expect(renderTranscript('text', segmented, context)).toEqual({ contentType: 'text/plain; charset=utf-8', body: `${segmented.text}\n` });
  });

  it('answers verbose_json in OpenAI’s shape with the language by English name, words only when asked', () => {
    const plain = renderTranscript('verbose_json', segmented, context).body as Record<string, unknown>;
    expect(plain).toEqual({
      task: 'transcribe',
      language: 'english',
      duration: 4.25,
      text: segmented.text,
      segments: [
        { id: 0, start: 0, end: 1.5, text: 'Hello there.' },
        { id: 1, start: 1.75, end: 4.0006, text: 'General Kenobi!' },
      ],
      usage,
    });
    const withWords = renderTranscript('verbose_json', segmented, { ...context, includeWords: true }).body as Record<string, unknown>;
    expect(withWords.words).toEqual(segmented.words);
  });

  it('falls back to the asked language and the measured duration when the provider reported neither', () => {
    const body = renderTranscript('verbose_json', { ...segmented, language: null, duration: null }, { ...context, requestedLanguage: 'de' }).body as Record<string, unknown>;
    expect(body.language).toBe('german');
    expect(body.duration).toBe(4.3);
    const unknown = renderTranscript('verbose_json', { ...segmented, language: null }, context).body as Record<string, unknown>;
    expect(unknown.language).toBe('unknown');
  });

  it('answers diarized_json with OpenAI’s segment type, ids and speakers', () => {
    const result = { ...segmented, segments: segmented.segments.map((s, i) => ({ ...s, speaker: i ? 'B' : 'A' })) };
    const body = renderTranscript('diarized_json', result, context).body as { segments: unknown[] };
    expect(body.segments[1]).toEqual({ type: 'transcript.text.segment', id: 'seg_1', start: 1.75, end: 4.0006, text: 'General Kenobi!', speaker: 'B' });
  });
});
