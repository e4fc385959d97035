/** An uploaded or fetched file after the edge has checked it: its real type comes from its bytes. */
export interface MediaFile {
  bytes: Buffer;
  /** MIME type detected from the bytes, e.g. "image/png", "application/pdf", "audio/mpeg". */
  mime: string;
  /** Short format name: png, jpeg, webp, tiff, pdf, mp3, wav, flac, ogg, m4a, webm … */
  format: string;
  filename: string;
}
