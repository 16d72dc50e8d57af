/**
 * State stores: where campaign journals live. {@link createFileStore} for real runs (hash-chained,
 * fsynced, locked), {@link createMemoryStore} for tests and the simulator.
 * @module
 */
export { createFileStore, type FileStateStore, type FileStoreOptions } from './file-store.js';
export { assertCampaignId, CAMPAIGN_ID_PATTERN } from './journal-format.js';
export { createMemoryStore, type MemoryStateStore } from './memory-store.js';
