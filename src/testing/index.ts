/**
 * `escalator/testing`: helpers for hosts that test their own campaigns and adapters — seeded synthetic
 * clouds of any size.
 * @module escalator/testing
 */

// The generator behind the synthetic clouds, public here since before it moved to util/.
export { mulberry32 } from '../util/random.js';
export {
  ANTELOPE_SOFTWARE,
  generateCloud,
  type SyntheticCloud,
  type SyntheticCloudOptions,
  type SyntheticResources,
  ZED_SOFTWARE,
} from './synthetic-cloud.js';
