/**
 * Shared vocabulary of the interop replays (test/e2e/interop-*.e2e-spec.ts) and the filter corpus: the
 * URNs clients send, the headers each client puts on the wire, and the checks every client makes on a
 * ListResponse or an Error. The request shapes themselves live in the specs, next to the trace section
 * (shared/reference/provisioning-traces.md) they replay.
 */
import { randomUUID } from 'node:crypto';
import { HttpResponse } from './app';

export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const ROSTER_GROUP = 'urn:roster:params:scim:schemas:extension:group:1.0:Group';
export const ADSCIM = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const SPC = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** Entra's provisioning service (A0): a bearer token and SCIM JSON bodies. */
export const ENTRA_HEADERS: Record<string, string> = {
  'content-type': 'application/scim+json',
  accept: 'application/scim+json',
};

/** Okta's OIN provisioning client (B, every request). */
export const OKTA_HEADERS: Record<string, string> = {
  'user-agent': 'Okta SCIM Client 1.0.0',
  accept: 'application/scim+json',
};

/** The Okta "SCIM 2.0 SPEC Test" Runscope defaults (B5): the Content-Type is sent on GETs too. */
export const OKTA_SPEC_HEADERS: Record<string, string> = {
  accept: 'application/scim+json',
  'content-type': 'application/scim+json; charset=utf-8',
  'accept-charset': 'utf-8',
  'user-agent': 'OKTA SCIM Integration',
};

/** `filter=<encoded>` as a client puts it in a query string. */
export function filterQuery(filter: string): string {
  return `filter=${encodeURIComponent(filter)}`;
}

/** A PatchOp body. */
export function patchOp(...operations: unknown[]): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: operations };
}

let counter = 0;
/** A value no other test (or earlier run against the same database) uses. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}x${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** A random GUID, as Entra's Test Connection puts into its matching filter (A1). */
export function guid(): string {
  return randomUUID();
}

/** Every SCIM response, errors included, is `application/scim+json` (A0, conformance §5.2). */
export function expectScimJson(res: HttpResponse): void {
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/scim\+json(;|$)/);
}

/**
 * A ListResponse as Entra, Okta and the validators read it: the five keys, with JSON integers (B2), and
 * `Resources` present even when empty (Microsoft's collection deep-equals it with []).
 */
export function expectListResponse(
  res: HttpResponse,
  expected: { totalResults?: number; startIndex?: number; itemsPerPage?: number } = {},
): void {
  expect(res.status).toBe(200);
  expectScimJson(res);
  const body = res.body;
  expect(body.schemas).toEqual([LIST]);
  for (const key of ['totalResults', 'startIndex', 'itemsPerPage'] as const) {
    expect(Number.isInteger(body[key])).toBe(true);
    if (expected[key] !== undefined) {
      expect({ [key]: body[key] }).toEqual({ [key]: expected[key] });
    }
  }
  expect(Array.isArray(body.Resources)).toBe(true);
  expect(body.itemsPerPage).toBe(body.Resources.length);
}

/** A SCIM Error: `schemas`, `status` as a string, a non-empty `detail`, and the scimType when one is expected. */
export function expectScimError(res: HttpResponse, status: number, scimType?: string): void {
  expect({ status: res.status, body: res.body }).toMatchObject({
    status,
    body: { schemas: [ERROR], status: String(status) },
  });
  expectScimJson(res);
  expect(typeof res.body.detail).toBe('string');
  expect(res.body.detail.length).toBeGreaterThan(0);
  if (scimType !== undefined) {
    expect(res.body.scimType).toBe(scimType);
  }
}

/** True when a value is what Entra's verification accepts as cleared: absent, null or "". */
export function isNullOrEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

interface SchemaAttribute {
  name: string;
  type: string;
  multiValued?: boolean;
  subAttributes?: SchemaAttribute[];
  canonicalValues?: string[];
}

function flattenAttributes(attributes: SchemaAttribute[]): string[] {
  const names: string[] = [];
  for (const attribute of attributes) {
    if (attribute.name === 'manager' || attribute.name === 'members') {
      names.push(attribute.name);
    } else if (attribute.type === 'complex' && attribute.multiValued === true) {
      const subs = attribute.subAttributes ?? [];
      const type = subs.find((s) => s.name === 'type');
      if (type?.canonicalValues?.length) {
        for (const value of type.canonicalValues) {
          for (const sub of subs.filter((s) => s.name !== 'type' && s.name !== 'primary')) {
            names.push(`${attribute.name}[type eq "${value}"].${sub.name}`);
          }
        }
      } else {
        for (const sub of subs.filter((s) => s.name !== 'primary')) {
          names.push(`${attribute.name}[primary eq "True"].${sub.name}`);
        }
      }
    } else if (attribute.type === 'complex') {
      for (const sub of (attribute.subAttributes ?? []).filter((s) => s.type !== 'complex' && s.type !== 'reference')) {
        names.push(`${attribute.name}.${sub.name}`);
      }
    } else if (attribute.type !== 'reference') {
      names.push(attribute.name);
    }
  }
  return names;
}

/**
 * The gallery validation template's Schema_Discoverability_Test (S5, SCIMTests_Workflow): the core User
 * and Group schemas are picked by exact id, their attributes flattened into names such as
 * `emails[type eq "work"].value`, `name.givenName`, `roles[primary eq "True"].value`; every other schema's
 * attributes become `<schema id>:<name>`. The result is lower-cased for a case-insensitive lookup.
 */
export function flattenSchemasLikeTheGalleryTemplate(resources: any[]): { user: Set<string>; group: Set<string> } {
  const byId = (id: string) => resources.find((r) => r?.id === id);
  const user = flattenAttributes(byId(USER)?.attributes ?? []);
  for (const extension of resources.filter((r) => r?.id !== USER && r?.id !== GROUP)) {
    for (const attribute of extension.attributes ?? []) {
      user.push(`${extension.id}:${attribute.name}`);
    }
  }
  const group = flattenAttributes(byId(GROUP)?.attributes ?? []);
  const lower = (names: string[]) => new Set(names.map((n) => n.toLowerCase()));
  return { user: lower(user), group: lower(group) };
}

/**
 * What Entra's default attribute mapping for a non-gallery SCIM app targets (S1 "Attribute mappings"). The
 * template checks the target directory's attribute list, which holds at least these, and exempts only `id`.
 */
export const ENTRA_DEFAULT_USER_TARGETS = [
  'userName',
  'active',
  'displayName',
  'title',
  'emails[type eq "work"].value',
  'preferredLanguage',
  'name.givenName',
  'name.familyName',
  'name.formatted',
  'addresses[type eq "work"].formatted',
  'addresses[type eq "work"].streetAddress',
  'addresses[type eq "work"].locality',
  'addresses[type eq "work"].region',
  'addresses[type eq "work"].postalCode',
  'addresses[type eq "work"].country',
  'phoneNumbers[type eq "work"].value',
  'phoneNumbers[type eq "mobile"].value',
  'phoneNumbers[type eq "fax"].value',
  'roles[primary eq "True"].value',
  'externalId',
  `${ENTERPRISE}:employeeNumber`,
  `${ENTERPRISE}:department`,
  `${ENTERPRISE}:manager`,
];

/** Entra's default group mapping: displayName, objectId → externalId, members. */
export const ENTRA_DEFAULT_GROUP_TARGETS = ['displayName', 'externalId', 'members'];
