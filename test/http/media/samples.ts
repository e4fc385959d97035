// Inputs for the media tests, made on the spot: images with sharp, PDFs with pdf-lib, and the
// smallest MP4 and WebM containers whose headers state a duration.
import { PDFDocument } from 'pdf-lib';
import sharp, { type Sharp } from 'sharp';

export function solidImage(width: number, height: number): Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } });
}

/** Random pixels: compresses badly, so losing the end of the file loses image rows. */
export function noiseImage(width: number, height: number): Sharp {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919 + (i >> 3) * 104729) % 251;
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

/** A PDF of `count` distinct pages; the first ten carry a line of text. */
export async function pdfWithPages(count: number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < count; i++) {
    const page = doc.addPage([200, 200]);
    if (i < 10) page.drawText(`page ${i + 1}`, { x: 20, y: 100 });
  }
  return Buffer.from(await doc.save({ useObjectStreams: false, objectsPerTick: Infinity }));
}

function box(type: string, ...children: Buffer[]): Buffer {
  const body = Buffer.concat(children);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

/** An MP4 (brand "M4A " or "isom") with one AAC audio track whose media header says `seconds` long. */
export function mp4Audio(seconds: number, brand: 'M4A ' | 'isom' = 'M4A '): Buffer {
  const ftyp = box('ftyp', Buffer.from(brand, 'latin1'), Buffer.alloc(4), Buffer.from(`${brand}isom`, 'latin1'));
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(1000, 12); // timescale
  mvhd.writeUInt32BE(Math.round(seconds * 1000), 16); // duration
  mvhd.writeUInt32BE(0x00010000, 20); // rate 1.0
  mvhd.writeUInt16BE(0x0100, 24); // volume 1.0
  mvhd.writeUInt32BE(2, 96); // next track id
  const tkhd = Buffer.alloc(84);
  tkhd.writeUInt32BE(1, 12); // track id
  const mdhd = Buffer.alloc(24);
  mdhd.writeUInt32BE(44_100, 12); // timescale: the sample rate
  mdhd.writeUInt32BE(Math.round(seconds * 44_100), 16);
  const hdlr = Buffer.concat([Buffer.alloc(8), Buffer.from('soun', 'latin1'), Buffer.alloc(12), Buffer.from('audio\0', 'latin1')]);
  const mp4a = Buffer.alloc(28); // sample entry: reserved, data reference, then the v0 sound description
  mp4a.writeUInt16BE(1, 6); // data reference index
  mp4a.writeUInt16BE(1, 16); // channels
  mp4a.writeUInt16BE(16, 18); // sample size
  mp4a.writeUInt16BE(44_100, 24); // sample rate, 16.16
  const stsdHeader = Buffer.alloc(8);
  stsdHeader.writeUInt32BE(1, 4); // one entry
  const stsd = box('stsd', stsdHeader, box('mp4a', mp4a));
  const empty = (type: string, words: number) => box(type, Buffer.alloc(4 * words)); // version/flags, then zero counts
  const stbl = box('stbl', stsd, empty('stts', 2), empty('stsc', 2), empty('stsz', 3), empty('stco', 2));
  const trak = box('trak', box('tkhd', tkhd), box('mdia', box('mdhd', mdhd), box('hdlr', hdlr), box('minf', stbl)));
  return Buffer.concat([ftyp, box('moov', box('mvhd', mvhd), trak)]);
}

function ebml(id: number[], body: Buffer): Buffer {
  // 8-byte size: 0x01 marker then 7 bytes of length.
  const size = Buffer.alloc(8);
  size.writeUInt32BE(body.length, 4);
  size[0] = 0x01;
  return Buffer.concat([Buffer.from(id), size, body]);
}

/** An EBML header with DocType "webm" and a Segment whose Info states the duration. */
export function webmAudio(seconds: number): Buffer {
  const uint = (value: number) => Buffer.from([value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff]);
  const header = ebml([0x1a, 0x45, 0xdf, 0xa3], Buffer.concat([
    ebml([0x42, 0x86], Buffer.from([1])), // EBMLVersion
    ebml([0x42, 0xf7], Buffer.from([1])), // EBMLReadVersion
    ebml([0x42, 0xf2], Buffer.from([4])), // EBMLMaxIDLength
    ebml([0x42, 0xf3], Buffer.from([8])), // EBMLMaxSizeLength
    ebml([0x42, 0x82], Buffer.from('webm', 'latin1')), // DocType
    ebml([0x42, 0x87], Buffer.from([4])), // DocTypeVersion
    ebml([0x42, 0x85], Buffer.from([2])), // DocTypeReadVersion
  ]));
  const duration = Buffer.alloc(8);
  duration.writeDoubleBE(seconds * 1000); // in TimestampScale units (1 ms)
  const info = ebml([0x15, 0x49, 0xa9, 0x66], Buffer.concat([
    ebml([0x2a, 0xd7, 0xb1], uint(1_000_000)), // TimestampScale: 1 ms
    ebml([0x44, 0x89], duration),
  ]));
  return Buffer.concat([header, ebml([0x18, 0x53, 0x80, 0x67], info)]);
}

/** A PDF written object by object, for structures pdf-lib refuses to write (e.g. a cyclic page tree). */
export function rawPdf(objects: string[]): Buffer {
  let body = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
