import { ScimError } from '@roster/scim';
import { ALL_SCOPES, isScope, Scope } from './principal';

/** Splits an OAuth scope string (RFC 6749 §3.3: space-delimited, order irrelevant) into unique values. */
export function splitScope(value: string | undefined): string[] {
  return [...new Set((value ?? '').split(' ').filter(Boolean))];
}

/** A scope string of known Roster scopes, in canonical order; a 400 for anything else. */
export function parseRosterScope(value: string, field = 'scope'): Scope[] {
  const scopes = splitScope(value);
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length) {
    throw ScimError.badRequest(
      'invalidValue',
      `${field} has unknown values ${unknown.join(', ')}; use ${ALL_SCOPES.join(', ')}.`,
    );
  }
  if (!scopes.length) {
    throw ScimError.badRequest('invalidValue', `${field} must name at least one of ${ALL_SCOPES.join(', ')}.`);
  }
  return ALL_SCOPES.filter((s) => scopes.includes(s));
}
