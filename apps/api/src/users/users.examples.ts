const BASE = 'http://127.0.0.1:3000/v2';
const ID = '2819c223-7f76-453a-919d-413861904646';

export const USER_CREATE_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
  userName: 'bjensen@example.com',
  externalId: 'bjensen',
  name: { givenName: 'Barbara', familyName: 'Jensen', formatted: 'Ms. Barbara J Jensen III' },
  displayName: 'Babs Jensen',
  emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
  active: true,
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': {
    employeeNumber: '701984',
    department: 'Tour Operations',
  },
};

export const USER_EXAMPLE = {
  schemas: USER_CREATE_EXAMPLE.schemas,
  id: ID,
  externalId: 'bjensen',
  userName: 'bjensen@example.com',
  name: USER_CREATE_EXAMPLE.name,
  displayName: 'Babs Jensen',
  emails: USER_CREATE_EXAMPLE.emails,
  active: true,
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User':
    USER_CREATE_EXAMPLE['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
  meta: {
    resourceType: 'User',
    created: '2026-11-28T08:00:00.000Z',
    lastModified: '2026-11-28T08:00:00.000Z',
    location: `${BASE}/Users/${ID}`,
    version: 'W/"1"',
  },
};

export const USER_LIST_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
  totalResults: 1,
  itemsPerPage: 1,
  startIndex: 1,
  Resources: [USER_EXAMPLE],
};

export const USER_PATCH_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
  Operations: [
    { op: 'replace', path: 'emails[type eq "work"].value', value: 'babs@example.com' },
    { op: 'replace', value: { active: false } },
  ],
};

export const SEARCH_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
  filter: 'userName sw "bj" and active eq true',
  attributes: ['userName', 'emails'],
  sortBy: 'userName',
  startIndex: 1,
  count: 10,
};
