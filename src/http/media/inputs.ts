// Each way a client can hand over a file (a multipart upload, a URL, base64 in JSON), turned into an
// inspected MediaFile. The endpoints call these; everything below them is in this folder.
import type { Request } from 'express';
import { inspectAudio, inspectImageOrPdf, type AudioLimits, type ImageLimits, type InspectedAudio, type InspectedImage } from './detect';
import { decodeBase64, decodeDataUrl, isDataUrl } from './inline';
import { fetchRemoteFile, REMOTE_FETCH_DEFAULTS, type RemoteFetchOptions } from './remote';
import { uploadedFile } from './upload';

export async function inspectUploadedImage(req: Request, limits: ImageLimits = {}): Promise<InspectedImage> {
  const { bytes, filename } = uploadedFile(req);
  return inspectImageOrPdf(bytes, filename, { ...limits, param: 'file' });
}

export async function inspectUploadedAudio(req: Request, limits: AudioLimits = {}): Promise<InspectedAudio> {
  const { bytes, filename } = uploadedFile(req);
  return inspectAudio(bytes, filename, { ...limits, param: 'file' });
}

/** An http(s) or data: URL given in `options.param` (e.g. "image_url"). */
export async function inspectImageUrl(url: string, options: RemoteFetchOptions & ImageLimits): Promise<InspectedImage> {
  const { bytes, filename } = await fetchRemoteFile(url, options);
  return inspectImageOrPdf(bytes, filename, options);
}

/** An http(s) or data: URL given in `options.param` (e.g. "audio_url"). */
export async function inspectAudioUrl(url: string, options: RemoteFetchOptions & AudioLimits): Promise<InspectedAudio> {
  const { bytes, filename } = await fetchRemoteFile(url, options);
  return inspectAudio(bytes, filename, options);
}

/** Base64 text (or a data: URL) given in `options.param` (e.g. "image"). */
export async function inspectBase64Image(
  text: string,
  options: ImageLimits & { param: string; maxBytes?: number },
): Promise<InspectedImage> {
  const inline = { param: options.param, maxBytes: options.maxBytes ?? REMOTE_FETCH_DEFAULTS.maxBytes };
  const bytes = isDataUrl(text) ? decodeDataUrl(text, inline) : decodeBase64(text, inline);
  return inspectImageOrPdf(bytes, options.param, options);
}
