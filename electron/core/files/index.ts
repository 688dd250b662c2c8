/** Small files in the data folder: atomic replacement, and JSON documents checked by a schema. */
export { writeFileAtomic, writeFileAtomicSync, syncDir } from './atomic-file';
export { JsonFile, type Damage, type JsonFileOptions } from './json-file';
export { buildZip, readZipEntries } from './zip';
