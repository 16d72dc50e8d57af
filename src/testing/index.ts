/**
 * `escalator/testing`: helpers for hosts that test their own campaigns and adapters — seeded synthetic
 * clouds of any size.
 * @module
 */
export {
  ANTELOPE_SOFTWARE,
  generateCloud,
  mulberry32,
  type SyntheticCloud,
  type SyntheticCloudOptions,
  type SyntheticResources,
  ZED_SOFTWARE,
} from './synthetic-cloud.js';
