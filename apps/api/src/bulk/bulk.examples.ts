const BASE = 'http://127.0.0.1:3000/v2';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** A user, a manager who is created after her, and a group of both: references resolve in any order. */
export const BULK_REQUEST_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
  failOnErrors: 1,
  Operations: [
    {
      method: 'POST',
      path: '/Users',
      bulkId: 'alice',
      data: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
        userName: 'alice@example.com',
        displayName: 'Alice',
        [ENTERPRISE]: { manager: { value: 'bulkId:bob' } },
      },
    },
    {
      method: 'POST',
      path: '/Users',
      bulkId: 'bob',
      data: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'bob@example.com',
        displayName: 'Bob',
      },
    },
    {
      method: 'POST',
      path: '/Groups',
      bulkId: 'tour',
      data: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Tour Guides',
        members: [{ value: 'bulkId:alice' }, { value: 'bulkId:bob' }],
      },
    },
    {
      method: 'PATCH',
      path: '/Users/2819c223-7f76-453a-919d-413861904646',
      version: 'W/"3"',
      data: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      },
    },
    { method: 'DELETE', path: '/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a' },
  ],
};

export const BULK_RESPONSE_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkResponse'],
  Operations: [
    {
      method: 'POST',
      bulkId: 'alice',
      location: `${BASE}/Users/92b725cd-9465-4e7d-8c16-01f8e146b87a`,
      version: 'W/"1"',
      status: '201',
    },
    {
      method: 'POST',
      bulkId: 'bob',
      location: `${BASE}/Users/5d48a0a8-e3f3-4f4a-b5f6-9a7d9a4e5c11`,
      version: 'W/"1"',
      status: '201',
    },
    {
      method: 'POST',
      bulkId: 'tour',
      location: `${BASE}/Groups/6c5bb468-14b2-4183-baf2-06d523e03bd3`,
      version: 'W/"1"',
      status: '201',
    },
    {
      method: 'PATCH',
      location: `${BASE}/Users/2819c223-7f76-453a-919d-413861904646`,
      status: '412',
      response: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '412',
        detail: 'The resource has changed: its current version is W/"4", not W/"3".',
      },
    },
  ],
};

export const BULK_TOO_LARGE_EXAMPLE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
  status: '413',
  detail: 'The size of the bulk request exceeds maxPayloadSize (4194304 bytes).',
};
