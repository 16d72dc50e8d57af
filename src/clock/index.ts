/**
 * Clocks: the real one ({@link systemClock}) and a virtual one for tests, the simulator and demos
 * ({@link createVirtualClock}).
 * @module
 */
export { systemClock } from './system-clock.js';
export { createVirtualClock, type VirtualClock, type VirtualClockOptions } from './virtual-clock.js';
