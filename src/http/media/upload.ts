// Multipart uploads: one file, in the field "file", held in memory only up to the task's limit.
// Multer stops reading the file at fileSize and fails with its own error codes (LIMIT_FILE_SIZE,
// LIMIT_UNEXPECTED_FILE …), which src/http/errors.ts maps to 413 and 400; the rest of an oversized
// body is drained and discarded, never buffered.
import type { Request, RequestHandler } from 'express';
import multer from 'multer';
import { InvalidRequest } from '../../errors';

export interface UploadLimits {
  /** Largest file accepted, in bytes (e.g. 25 MiB for transcription). */
  maxFileBytes: number;
  /** Largest non-file field value, in bytes. */
  maxFieldBytes?: number;
  /** Non-file fields accepted. */
  maxFields?: number;
}

export const UPLOAD_LIMIT_DEFAULTS = { maxFieldBytes: 64 * 1024, maxFields: 32 } as const;

/** Express middleware that parses a multipart body with at most one file, in the field "file". */
export function singleFileUpload(limits: UploadLimits): RequestHandler {
  const maxFields = limits.maxFields ?? UPLOAD_LIMIT_DEFAULTS.maxFields;
  return multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: limits.maxFileBytes,
      files: 1,
      fields: maxFields,
      fieldSize: limits.maxFieldBytes ?? UPLOAD_LIMIT_DEFAULTS.maxFieldBytes,
      fieldNameSize: 100,
      parts: maxFields + 1,
      headerPairs: 100,
    },
  }).single('file');
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
