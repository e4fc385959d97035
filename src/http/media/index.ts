// The safe-input layer: bytes or a URL in, a checked MediaFile or a typed 4xx error out.
export { addressRefusal } from './address';
export {
  AUDIO_LIMIT_DEFAULTS,
  IMAGE_LIMIT_DEFAULTS,
  inspectAudio,
  inspectImageOrPdf,
  type AudioLimits,
  type ImageLimits,
  type InspectedAudio,
  type InspectedImage,
} from './detect';
export { decodeBase64, decodeDataUrl, isDataUrl, type InlineOptions } from './inline';
export { inspectAudioUrl, inspectBase64Image, inspectImageUrl, inspectUploadedAudio, inspectUploadedImage } from './inputs';
export { normalizeImage, type NormalizeOptions } from './normalize';
export { fetchRemoteFile, REMOTE_FETCH_DEFAULTS, type RemoteFetchOptions, type RemoteFile, type ResolveHost } from './remote';
export { singleFileUpload, uploadedFile, UPLOAD_LIMIT_DEFAULTS, type UploadLimits, type UploadedFile } from './upload';
