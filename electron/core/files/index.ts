/**
 * Files in the data folder: atomic replacement, JSON documents checked by a schema, and files the
 * window sends to the core (uploads).
 */
export { writeFileAtomic, writeFileAtomicSync, syncDir } from './atomic-file';
export { JsonFile, type Damage, type JsonFileOptions } from './json-file';
export { buildZip, readZipEntries } from './zip';
export {
  passwordContainer,
  deriveKeys,
  overhead,
  saltBytes,
  verifierMatches,
  winZipAesField,
  WinZipAesDecipher,
  WinZipCtr,
} from './winzip-aes';
export {
  UploadStore,
  DEFAULT_UPLOAD_LIMITS,
  type UploadKind,
  type UploadLimits,
  type FinishedUpload,
} from './uploads';
export { uploadHandlers } from './upload-handlers';
