import { createHash } from 'node:crypto';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Why a redirect URI cannot be registered, or undefined when it can (RFC 7591 §2, OAuth 2.1 §2.3.1). */
export function redirectUriProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value || value.length > 2000) {
    return 'each redirect URI must be a string of 1 to 2000 characters';
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${value.slice(0, 200)} is not an absolute URL`;
  }
  if (value.includes('#')) {
    return `${value.slice(0, 200)} has a fragment, which redirect URIs may not have`;
  }
  if (url.username || url.password) {
    return `${value.slice(0, 200)} carries user information`;
  }
  if (url.protocol === 'https:') {
    return undefined;
  }
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) {
    return undefined;
  }
  return `${value.slice(0, 200)} must use https (or http on 127.0.0.1, [::1] or localhost)`;
}

function isLoopback(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * Whether a redirect URI of an authorization request is one the client registered: exactly
 * (character for character), except that a loopback redirect may use any port (RFC 8252 §7.3:
 * native clients get an ephemeral port from the OS). Scheme, host, path and query must still match.
 */
export function redirectUriMatches(requested: string, registered: readonly string[]): boolean {
  if (registered.includes(requested)) {
    return true;
  }
  let asked: URL;
  try {
    asked = new URL(requested);
  } catch {
    return false;
  }
  if (!isLoopback(asked) || requested.includes('#')) {
    return false;
  }
  return registered.some((candidate) => {
    let known: URL;
    try {
      known = new URL(candidate);
    } catch {
      return false;
    }
    return (
      isLoopback(known) &&
      known.hostname === asked.hostname &&
      known.pathname === asked.pathname &&
      known.search === asked.search &&
      !asked.username &&
      !asked.password
    );
  });
}

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
export const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** An S256 challenge is the base64url of a SHA-256: always 43 characters. */
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
