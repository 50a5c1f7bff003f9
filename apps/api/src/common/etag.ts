import { ScimError } from '@roster/scim';

function tags(header: string): string[] {
  return header
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => t.replace(/^W\//i, '').replace(/^"(.*)"$/, '$1'));
}

/** If-Match (RFC 7232 §3.1 with weak comparison, as RFC 7644 §3.14 uses weak ETags). */
export function assertIfMatch(header: string | undefined, version: number): void {
  if (header === undefined || header.trim() === '') {
    return;
  }
  const list = tags(header);
  if (list.includes('*') || list.includes(String(version))) {
    return;
  }
  throw new ScimError(412, `The resource has changed: its current version is W/"${version}", not ${header.trim()}.`);
}

/** If-None-Match on a read: true when the client's copy is current (answer 304). */
export function ifNoneMatchHits(header: string | undefined, version: number): boolean {
  if (!header) {
    return false;
  }
  const list = tags(header);
  return list.includes('*') || list.includes(String(version));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else names no resource, and must never reach a ::uuid cast. */
export function isResourceId(id: string): boolean {
  return UUID.test(id);
}
