// Counting o200k_base tokens (the GPT-4o / GPT-5 vocabulary) with the vocabulary packed into three
// typed arrays of about 5 MB. gpt-tokenizer keeps it as a Map of 200,000 strings plus its source and
// a merge cache: about 40 MB more resident memory in every replica (idle gateway 173 → 133 MB). The
// vocabulary comes from gpt-tokenizer still, read once by a short-lived child process; counting here
// is tiktoken's byte-pair merge over the same split pattern and gives the same counts
// (test/tokenizer/o200k.test.ts compares them over a varied corpus).
//
// Special tokens (<|endoftext|> …) in the text are counted as the ordinary text they are: a prompt
// or an answer may contain them, and neither is ever sent as a special token.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';

interface Vocabulary {
  /** Every token's bytes, back to back, in rank order. */
  bytes: Uint8Array;
  /** Token r is bytes[offsets[r] .. offsets[r + 1]]. */
  offsets: Uint32Array;
}

const EMPTY_SLOT = 0xffffffff;

export class O200kCounter {
  /** Open addressing, linear probing: a rank per slot, EMPTY_SLOT where none. */
  private readonly slots: Uint32Array;
  private readonly mask: number;
  private readonly encoder = new TextEncoder();
  private scratch = new Uint8Array(1024);

  constructor(private readonly vocabulary: Vocabulary) {
    const count = vocabulary.offsets.length - 1;
    let size = 1;
    while (size < count * 2) size *= 2;
    this.slots = new Uint32Array(size).fill(EMPTY_SLOT);
    this.mask = size - 1;
    const { bytes, offsets } = vocabulary;
    for (let rank = 0; rank < count; rank++) {
      const start = offsets[rank]!;
      const end = offsets[rank + 1]!;
      if (end === start) continue; // an unused rank
      let slot = hash(bytes, start, end) & this.mask;
      while (this.slots[slot] !== EMPTY_SLOT) slot = (slot + 1) & this.mask;
      this.slots[slot] = rank;
    }
  }

  /** Tokens in `text` under o200k_base. */
  count(text: string): number {
    let tokens = 0;
    for (const [piece] of text.matchAll(O200K_TOKEN_SPLIT_REGEX)) {
      if (this.scratch.length < piece.length * 3) this.scratch = new Uint8Array(piece.length * 3);
      const length = this.encoder.encodeInto(piece, this.scratch).written;
      tokens += this.rank(this.scratch, 0, length) === undefined ? this.mergeCount(this.scratch.subarray(0, length)) : 1;
    }
    return tokens;
  }

  /** The rank of the token whose bytes are piece[start..end], if there is one. */
  private rank(piece: Uint8Array, start: number, end: number): number | undefined {
    const { bytes, offsets } = this.vocabulary;
    const length = end - start;
    for (let slot = hash(piece, start, end) & this.mask; ; slot = (slot + 1) & this.mask) {
      const rank = this.slots[slot]!;
      if (rank === EMPTY_SLOT) return undefined;
      const at = offsets[rank]!;
      if (offsets[rank + 1]! - at !== length) continue;
      let same = true;
      for (let i = 0; i < length; i++) {
        if (bytes[at + i] !== piece[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return rank;
    }
  }

  /**
   * tiktoken's byte-pair merge: start from single bytes and merge the adjacent pair whose joined
   * bytes have the lowest rank until no pair is a token; the parts left are the piece's tokens.
   */
  private mergeCount(piece: Uint8Array): number {
    const starts: number[] = [];
    const ranks: number[] = [];
    const pairRank = (i: number): number => {
      const end = starts[i + 2];
      return end === undefined ? Infinity : (this.rank(piece, starts[i]!, end) ?? Infinity);
    };
    for (let i = 0; i <= piece.length; i++) starts.push(i);
    for (let i = 0; i < starts.length; i++) ranks.push(pairRank(i));
    while (starts.length > 1) {
      let lowest = Infinity;
      let at = -1;
      for (let i = 0; i < ranks.length - 1; i++) {
        if (ranks[i]! < lowest) {
          lowest = ranks[i]!;
          at = i;
        }
      }
      if (at === -1) break;
      starts.splice(at + 1, 1);
      ranks.splice(at, 1);
      ranks[at] = pairRank(at);
      if (at > 0) ranks[at - 1] = pairRank(at - 1);
    }
    return starts.length - 1;
  }
}

/** FNV-1a over bytes[start..end]. */
function hash(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * Reads gpt-tokenizer's o200k_base ranks in a short-lived child process and takes back only the
 * packed bytes. A worker thread would do, but the allocator keeps what a thread freed: the gateway's
 * resident memory stayed as high as with the library loaded in the main thread.
 */
function readVocabulary(): Promise<Vocabulary> {
  // The CommonJS build, found from here: the evaluated script has no module of its own to resolve from.
  const ranksModule = createRequire(import.meta.url).resolve('gpt-tokenizer/bpeRanks/o200k_base');
  // Writes [count: u32][offsets: (count + 1) × u32][bytes] to stdout, little-endian.
  const script = `
    const ranks = require(${JSON.stringify(ranksModule)}).default;
    const encoder = new TextEncoder();
    const parts = ranks.map((value) => (typeof value === 'string' ? encoder.encode(value) : Uint8Array.from(value ?? [])));
    const header = new Uint32Array(ranks.length + 2);
    header[0] = ranks.length;
    let total = 0;
    parts.forEach((part, rank) => {
      header[rank + 1] = total;
      total += part.length;
    });
    header[ranks.length + 1] = total;
    process.stdout.write(Buffer.concat([Buffer.from(header.buffer), ...parts]));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--eval', script], { encoding: 'buffer', maxBuffer: 64 * 2 ** 20 }, (error, stdout) => {
      if (error) return reject(new Error(`reading the o200k vocabulary failed: ${error.message}`));
      const count = stdout.readUInt32LE(0);
      const offsetsEnd = 4 * (count + 2);
      // Copies: a Buffer from a child's output may start at any byte, typed arrays need alignment.
      const offsets = new Uint32Array(count + 1);
      for (let rank = 0; rank <= count; rank++) offsets[rank] = stdout.readUInt32LE(4 * (rank + 1));
      resolve({ bytes: new Uint8Array(stdout.subarray(offsetsEnd)), offsets });
    });
  });
}

let loading: Promise<O200kCounter> | null = null;

/** The process's one counter, loaded on first use (about 300 ms, in another process). */
export function o200k(): Promise<O200kCounter> {
  if (!loading) {
    loading = readVocabulary().then((vocabulary) => new O200kCounter(vocabulary));
    // A failed read is tried again by the next caller.
    loading.catch(() => (loading = null));
  }
  return loading;
}
