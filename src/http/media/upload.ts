// Multipart uploads: one file, in the field "file", held in memory only up to the task's limit.
// A body whose declared length cannot fit is refused before a byte of it is read. Otherwise multer
// stops keeping the file at fileSize and fails with its own error codes (LIMIT_FILE_SIZE,
// LIMIT_UNEXPECTED_FILE …), which src/http/errors.ts maps to 413 and 400; it reads the rest of the
// body to discard it (so the client is not cut off mid-send) but never buffers it.
import type { Request, RequestHandler } from 'express';
import multer from 'multer';
import { InvalidRequest, PayloadTooLarge } from '../../errors';

export interface UploadLimits {
  /** Largest file accepted, in bytes (e.g. 25 MiB for transcription). */
  maxFileBytes: number;
  /** Largest non-file field value, in bytes. */
  maxFieldBytes?: number;
  /** Non-file fields accepted. */
  maxFields?: number;
}

export const UPLOAD_LIMIT_DEFAULTS = { maxFieldBytes: 64 * 1024, maxFields: 32 } as const;

/** Generous room for one part's boundary and headers. */
const PART_OVERHEAD = 1024;

/** Express middleware that parses a multipart body with at most one file, in the field "file". */
export function singleFileUpload(limits: UploadLimits): RequestHandler {
  const maxFields = limits.maxFields ?? UPLOAD_LIMIT_DEFAULTS.maxFields;
  const maxFieldBytes = limits.maxFieldBytes ?? UPLOAD_LIMIT_DEFAULTS.maxFieldBytes;
  const largestBody = limits.maxFileBytes + maxFields * (maxFieldBytes + PART_OVERHEAD) + 2 * PART_OVERHEAD;
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: limits.maxFileBytes,
      files: 1,
      fields: maxFields,
      fieldSize: maxFieldBytes,
      fieldNameSize: 100,
      parts: maxFields + 1,
      headerPairs: 100,
    },
  }).single('file');
  return (req, res, next) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > largestBody) {
      next(new PayloadTooLarge(`The request body is ${declared} bytes; files up to ${limits.maxFileBytes} bytes are accepted here.`, 'file'));
      return;
    }
    parse(req, res, next);
  };
}

export interface UploadedFile {
  bytes: Buffer;
  /** The name the client gave; used for naming only, never for the type. */
  filename: string;
}

/** The file singleFileUpload parsed, or a 400 naming the field when the request carried none. */
export function uploadedFile(req: Request): UploadedFile {
  if (!req.file) {
    throw new InvalidRequest('Send the file as multipart/form-data in the field "file".', 'file');
  }
  return { bytes: req.file.buffer, filename: req.file.originalname };
}
