const BASE = 'http://127.0.0.1:3000/v2';
const ID = 'e9e30dba-f08f-4109-8486-d5c6a331660a';
const MEMBER = '2819c223-7f76-453a-919d-413861904646';

export const GROUP_CREATE_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
  displayName: 'Tour Guides',
  externalId: 'tour-guides',
  members: [{ value: MEMBER }],
};

export const GROUP_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
  id: ID,
  externalId: 'tour-guides',
  displayName: 'Tour Guides',
  members: [{ value: MEMBER, $ref: `${BASE}/Users/${MEMBER}`, display: 'Babs Jensen', type: 'User' }],
  meta: {
    resourceType: 'Group',
    created: '2026-11-28T08:00:00.000Z',
    lastModified: '2026-11-28T08:00:00.000Z',
    location: `${BASE}/Groups/${ID}`,
    version: 'W/"1"',
  },
};

export const GROUP_LIST_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
  totalResults: 1,
  itemsPerPage: 1,
  startIndex: 1,
  Resources: [GROUP_EXAMPLE],
};

export const GROUP_PATCH_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
  Operations: [
    { op: 'remove', path: `members[value eq "${MEMBER}"]` },
    { op: 'add', path: 'members', value: [{ value: '6c5bf2b5-5b2b-4e8a-a4a1-3f2ef4f6a001' }] },
  ],
};

export const GROUP_SEARCH_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
  filter: 'displayName sw "Tour"',
  excludedAttributes: ['members'],
};
