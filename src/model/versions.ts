/**
 * Version strings as distributions write them (`2:26.2.2-1~deb12u5`) against what a campaign asks
 * (`26.2.2`): pure string tests shared by the node agent and the engine's checks.
 * @module
 */

/** A version without a leading `0:` epoch (dpkg and rpm read `0:1.2-1` as `1.2-1`). */
const withoutZeroEpoch = (version: string) => version.replace(/^0+:/, '');

/**
 * The upstream part of a Debian (or RPM) version: without the epoch (`N:`) and without the revision
 * (after the last `-`). `2:26.2.2-1~deb12u5` → `26.2.2`; `1.2-rc1-3` → `1.2-rc1`; `1.5` → `1.5`.
 */
export function upstreamVersion(version: string): string {
  const noEpoch = version.replace(/^\d+:/, '');
  const dash = noEpoch.lastIndexOf('-');
  return dash > 0 ? noEpoch.slice(0, dash) : noEpoch;
}

/**
 * Whether a package `version` (`2:26.2.2-1~deb12u5`) is what `asked` names: the same exact version,
 * or the same without its epoch (`26.2.2-1~deb12u5`), without its revision (`2:26.2.2`), or without
 * both (the upstream version `26.2.2`). A pure string test: which of several matches is the highest is
 * for `dpkg --compare-versions` on the node.
 */
export function versionMatches(version: string, asked: string): boolean {
  const v = withoutZeroEpoch(version);
  const a = withoutZeroEpoch(asked);
  if (v === a) return true;
  const noEpoch = v.replace(/^\d+:/, '');
  const dash = (x: string) => (x.lastIndexOf('-') > 0 ? x.slice(0, x.lastIndexOf('-')) : x);
  return a === noEpoch || a === dash(v) || a === dash(noEpoch);
}
