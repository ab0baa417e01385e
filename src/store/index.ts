/**
 * The filesystem database: the only code that creates, writes, renames or deletes in job
 * directories and state folders. Everything above it calls these functions.
 */
export * from './layout.js';
export * from './jobs.js';
export * from './create.js';
export * from './record.js';
export * from './run.js';
export * from './indexes.js';
export { JOB_FILES, PRIVATE_FILES } from './files.js';
export { isJobId, newJobId, ID_ALPHABET } from './ids.js';
export { createDurableOnce, writeDurable, readIfExists, isNoSpace } from './fsutil.js';
export * from './results.js';
export { jobStamp } from './stamp.js';
export * from './jobfiles.js';
export * from './old.js';
export * from './reindex.js';
export * from './census.js';
export { installWrapper, WRAPPER_NAME, WRAPPERS_FOLDER } from './wrappers.js';
export * from './catalog.js';
export {
  TRANSITIONS,
  transition,
  declared,
  type Move,
  type To,
  type Transition,
  type Requirement,
  type Seen,
} from './transitions.js';
