// Real audio for tests and mocks: a WAV tone whose duration is known exactly, bare PCM, and tiny
// but valid MP3, AAC (ADTS), FLAC and Ogg Opus streams of silence, so that mocks answer with bytes
// a decoder (and music-metadata) accepts. Plus the duration of uploaded audio, as mocks read it.
import { parseBuffer } from 'music-metadata';

/** 16-bit mono PCM samples of a sine tone. */
export function tonePcm(seconds: number, sampleRate = 16_000, frequency = 440): Buffer {
  const count = Math.round(seconds * sampleRate);
  const pcm = Buffer.alloc(count * 2);
  for (let i = 0; i < count; i++) {
    pcm.writeInt16LE(Math.round(Math.sin((2 * Math.PI * frequency * i) / sampleRate) * 12_000), i * 2);
  }
  return pcm;
}

/** A canonical 44-byte-header WAV file around 16-bit PCM. */
export function wavFile(pcm: Buffer, sampleRate: number, channels = 1): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

/** A WAV of a 440 Hz tone, 16 kHz mono: `seconds` long to the sample. */
export function toneWav(seconds: number, sampleRate = 16_000): Buffer {
  return wavFile(tonePcm(seconds, sampleRate), sampleRate);
}

/** MPEG-1 Layer III, 44.1 kHz, 128 kbit/s, mono frames whose side info and main data are zero: silence. */
export function silentMp3(seconds: number): Buffer {
  const frameBytes = 417; // 144 * 128000 / 44100, no padding
  const frames = Math.max(1, Math.ceil((seconds * 44_100) / 1152));
  const frame = Buffer.alloc(frameBytes);
  frame.set([0xff, 0xfb, 0x90, 0xc4]); // sync, MPEG-1 L3 no CRC; 128k, 44.1k; mono
  return Buffer.concat(Array.from({ length: frames }, () => frame));
}

/** AAC-LC in ADTS, 24 kHz mono; each raw block is one silent single-channel element. */
export function silentAac(seconds: number): Buffer {
  const payload = [0x01, 0x40, 0x20, 0x07];
  const length = 7 + payload.length;
  const frame = Buffer.from([0xff, 0xf1, 0x58, 0x40 | (length >> 11), (length >> 3) & 0xff, ((length & 7) << 5) | 0x1f, 0xfc, ...payload]);
  const frames = Math.max(1, Math.ceil((seconds * 24_000) / 1024));
  return Buffer.concat(Array.from({ length: frames }, () => frame));
}

/** FLAC, 24 kHz mono 16-bit, fixed 4096-sample blocks of CONSTANT(0) subframes. */
export function silentFlac(seconds: number): Buffer {
  const block = 4096;
  const frames = Math.max(1, Math.round((seconds * 24_000) / block));
  const info = Buffer.alloc(34);
  info.writeUInt16BE(block, 0);
  info.writeUInt16BE(block, 2);
  // sample rate (20 bits) | channels-1 (3) | bits-1 (5) | total samples (36): 24000, 0, 15, n.
  const packed = (24_000n << 44n) | (0n << 41n) | (15n << 36n) | BigInt(frames * block);
  info.writeBigUInt64BE(packed, 10);
  const out = [Buffer.from('fLaC', 'latin1'), Buffer.from([0x80, 0, 0, 34]), info];
  for (let n = 0; n < frames; n++) {
    if (n > 127) throw new Error('silentFlac: frame numbers above 127 need longer UTF-8 coding');
    const header = Buffer.from([0xff, 0xf8, 0xc7, 0x08, n]); // 4096 samples, 24 kHz; mono, 16-bit; frame n
    const frame = Buffer.concat([header, Buffer.from([crc8(header)]), Buffer.from([0x00, 0x00, 0x00])]);
    const crc = Buffer.alloc(2);
    crc.writeUInt16BE(crc16(frame));
    out.push(frame, crc);
  }
  return Buffer.concat(out);
}

/** Ogg Opus, mono: OpusHead, OpusTags, then 20 ms silence packets (the well-known F8 FF FE frame). */
export function silentOggOpus(seconds: number): Buffer {
  const preSkip = 312;
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head.set([1, 1], 8); // version, channels
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(48_000, 12);
  const vendor = Buffer.from('switchyard-mock', 'latin1');
  const tags = Buffer.concat([Buffer.from('OpusTags', 'latin1'), u32le(vendor.length), vendor, u32le(0)]);
  const packets = Math.max(1, Math.ceil(seconds / 0.02));
  const pages = [oggPage(head, 0, 0, 0x02), oggPage(tags, 0, 1, 0)];
  for (let done = 0, sequence = 2; done < packets; sequence++) {
    const count = Math.min(250, packets - done);
    done += count;
    const body = Buffer.concat(Array.from({ length: count }, () => Buffer.from([0xf8, 0xff, 0xfe])));
    pages.push(oggPage(body, preSkip + done * 960, sequence, done === packets ? 0x04 : 0, Array(count).fill(3)));
  }
  return Buffer.concat(pages);
}

function oggPage(body: Buffer, granule: number, sequence: number, flags: number, lacing = [body.length]): Buffer {
  const header = Buffer.alloc(27);
  header.write('OggS', 0, 'latin1');
  header[5] = flags;
  header.writeBigUInt64LE(BigInt(granule), 6);
  header.writeUInt32LE(0x5357_5944, 14); // stream serial
  header.writeUInt32LE(sequence, 18);
  header[26] = lacing.length;
  const page = Buffer.concat([header, Buffer.from(lacing), body]);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

/** Samples of silence in G.711 μ-law (0xFF) or A-law (0xD5), 8 kHz. */
export function silentG711(seconds: number, law: 'mulaw' | 'alaw'): Buffer {
  return Buffer.alloc(Math.round(seconds * 8000), law === 'mulaw' ? 0xff : 0xd5);
}

/** The duration music-metadata reads from the bytes, or null when they are not audio it knows. */
export async function audioDuration(bytes: Buffer, mimeType?: string): Promise<number | null> {
  try {
    const { format } = await parseBuffer(bytes, mimeType ? { mimeType } : undefined, { duration: true });
    return format.duration ?? null;
  } catch {
    return null;
  }
}

function u32le(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}

function crc8(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

function crc16(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function oggCrc(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 24;
    for (let i = 0; i < 8; i++) crc = crc & 0x80000000 ? ((crc << 1) ^ 0x04c11db7) >>> 0 : (crc << 1) >>> 0;
  }
  return crc >>> 0;
}
