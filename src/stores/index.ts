/**
 * State stores: where campaign journals live. {@link createFileStore} for real runs (hash-chained,
 * fsynced, locked), {@link createMemoryStore} for tests and the simulator.
 * @module
 */
export { createFileStore, type FileStateStore, type FileStoreOptions } from './file-store.js';
export { assertCampaignId, CAMPAIGN_ID_PATTERN } from './journal-format.js';
export { DEFAULT_LEASE_MS } from './lease.js';
export { createMemoryStore, type MemoryStateStore, type MemoryStoreOptions } from './memory-store.js';
