/**
 * HTTP transports: the default {@link HttpTransport} on Node's `fetch` ({@link fetchTransport}), and one
 * on `node:http`/`node:https` that can trust a CA bundle ({@link nodeHttpTransport}), both with timeouts
 * and network failures mapped to {@link AdapterError}s.
 * @module
 */
export { type FetchTransportOptions, fetchTransport } from './fetch-transport.js';
export { type NodeHttpTransportOptions, nodeHttpTransport } from './node-transport.js';
