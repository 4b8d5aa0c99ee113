/**
 * Jest snapshot serializer: replaces asset hashes (64 hex chars) so snapshots change when the
 * template does, not when an asset's bytes or the bootstrap version's hash move.
 */
const ASSET_HASH = /[0-9a-f]{64}/;

module.exports = {
  test: (val: unknown): boolean => typeof val === 'string' && ASSET_HASH.test(val),
  serialize: (val: string): string => JSON.stringify(val.replace(new RegExp(ASSET_HASH, 'g'), '<asset-hash>')),
};
