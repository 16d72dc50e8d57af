/**
 * HTTP transport: the default {@link HttpTransport} on Node's `fetch` ({@link fetchTransport}), with
 * timeouts and network failures mapped to transient {@link AdapterError}s.
 * @module
 */
export { type FetchTransportOptions, fetchTransport } from './fetch-transport.js';
