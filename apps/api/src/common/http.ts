export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** Weak ETag from a resource version (RFC 7644 §3.14; the version is a counter, not a hash). */
export function etagFor(version: number): string {
  return `W/"${version}"`;
}
