import {
  ChangeEventInput,
  changeTypesFor,
  DEFAULT_SCIM_EVENT_URIS,
  jtiPosition,
  SCIM_EVENT,
  SCIM_EVENT_URIS,
  scimEventsOf,
  securityEventClaims,
  setJti,
} from './security-events';

const ISSUER = 'https://roster.example.com';
const BASE = `${ISSUER}/v2`;
const USER_ID = '2819c223-7f76-453a-919d-413861904646';
const GROUP_ID = 'e9e30dba-f08f-4109-8486-d5c6a331660a';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const TAG = '0123456789abcdef';

function event(overrides: Partial<ChangeEventInput>): ChangeEventInput {
  return {
    seq: 42n,
    time: new Date('2026-12-06T10:00:00.000Z'),
    type: 'user.updated',
    resourceType: 'User',
    resourceId: USER_ID,
    version: 3,
    changes: [],
    requestId: 'req-1',
    ...overrides,
  };
}

const ALL = new Set<string>(SCIM_EVENT_URIS);
const only = (...uris: string[]) => new Set<string>(uris);

describe('SCIM security events (draft-ietf-scim-events-16)', () => {
  describe('which SCIM events a change makes, by receiver subscription', () => {
    const created = event({
      type: 'user.created',
      version: 1,
      changes: [
        { path: 'schemas', value: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE] },
        { path: 'userName', value: 'bjensen' },
        { path: 'externalId', value: 'bj-1' },
        { path: 'password' },
        { path: `${ENTERPRISE}:department`, value: 'Tour Operations' },
      ],
    });
    const cases: { name: string; event: ChangeEventInput; wanted: Set<string>; uris: string[] }[] = [
      { name: 'user created, full wanted', event: created, wanted: ALL, uris: [SCIM_EVENT.createFull] },
      {
        name: 'user created, notice only',
        event: created,
        wanted: only(SCIM_EVENT.createNotice),
        uris: [SCIM_EVENT.createNotice],
      },
      { name: 'user created, no create wanted', event: created, wanted: only(SCIM_EVENT.patchNotice), uris: [] },
      {
        name: 'user updated',
        event: event({ changes: [{ path: 'displayName', value: 'B' }] }),
        wanted: ALL,
        uris: [SCIM_EVENT.patchNotice],
      },
      {
        name: 'user deactivated: patch notice and deactivate in one SET',
        event: event({ type: 'user.deactivated', changes: [{ path: 'active', value: false }] }),
        wanted: ALL,
        uris: [SCIM_EVENT.patchNotice, SCIM_EVENT.deactivate],
      },
      {
        name: 'user deactivated, deactivate only',
        event: event({ type: 'user.deactivated', changes: [{ path: 'active', value: false }] }),
        wanted: only(SCIM_EVENT.deactivate),
        uris: [SCIM_EVENT.deactivate],
      },
      {
        name: 'user reactivated',
        event: event({ type: 'user.reactivated', changes: [{ path: 'active', value: true }] }),
        wanted: ALL,
        uris: [SCIM_EVENT.patchNotice, SCIM_EVENT.activate],
      },
      {
        name: 'user reactivated, patch notice only',
        event: event({ type: 'user.reactivated', changes: [{ path: 'active', value: true }] }),
        wanted: only(SCIM_EVENT.patchNotice),
        uris: [SCIM_EVENT.patchNotice],
      },
      { name: 'user deleted', event: event({ type: 'user.deleted' }), wanted: ALL, uris: [SCIM_EVENT.delete] },
      {
        name: 'group created',
        event: event({
          type: 'group.created',
          resourceType: 'Group',
          resourceId: GROUP_ID,
          changes: [{ path: 'displayName', value: 'Tour Guides' }],
        }),
        wanted: ALL,
        uris: [SCIM_EVENT.createFull],
      },
      {
        name: 'group renamed',
        event: event({ type: 'group.updated', resourceType: 'Group', changes: [{ path: 'displayName', value: 'X' }] }),
        wanted: ALL,
        uris: [SCIM_EVENT.patchNotice],
      },
      {
        name: 'members added: a patch notice on the group',
        event: event({
          type: 'group.members_added',
          resourceType: 'Group',
          changes: [{ path: 'members', value: [USER_ID], count: 1 }],
        }),
        wanted: ALL,
        uris: [SCIM_EVENT.patchNotice],
      },
      {
        name: 'members removed: a patch notice on the group',
        event: event({
          type: 'group.members_removed',
          resourceType: 'Group',
          changes: [{ path: 'members', value: [USER_ID], count: 1 }],
        }),
        wanted: ALL,
        uris: [SCIM_EVENT.patchNotice],
      },
      {
        name: 'group deleted',
        event: event({ type: 'group.deleted', resourceType: 'Group' }),
        wanted: ALL,
        uris: [SCIM_EVENT.delete],
      },
      {
        name: 'token created: not a SCIM resource',
        event: event({ type: 'token.created', resourceType: 'ApiToken' }),
        wanted: ALL,
        uris: [],
      },
      {
        name: 'client registered: not a SCIM resource',
        event: event({ type: 'client.registered', resourceType: 'OAuthClient' }),
        wanted: ALL,
        uris: [],
      },
      {
        name: 'consent granted (resource id is a user id): still not a SCIM event',
        event: event({ type: 'consent.granted', resourceType: 'Consent' }),
        wanted: ALL,
        uris: [],
      },
    ];
    it.each(cases)('$name', ({ event: e, wanted, uris }) => {
      expect(Object.keys(scimEventsOf(e, wanted, BASE))).toEqual(uris);
    });
  });

  it('create:full carries the resource as recorded: extension attributes nested under their URN, never the password', () => {
    const events = scimEventsOf(
      event({
        type: 'user.created',
        version: 1,
        changes: [
          { path: 'schemas', value: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE] },
          { path: 'userName', value: 'bjensen' },
          { path: 'emails', value: [{ value: 'bjensen@example.com', type: 'work' }] },
          { path: 'password' },
          { path: `${ENTERPRISE}:department`, value: 'Tour Operations' },
          { path: `${ENTERPRISE}:manager`, value: { value: GROUP_ID } },
        ],
      }),
      ALL,
      BASE,
    );
    expect(events[SCIM_EVENT.createFull]).toEqual({
      version: 'W/"1"',
      data: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
        id: USER_ID,
        userName: 'bjensen',
        emails: [{ value: 'bjensen@example.com', type: 'work' }],
        [ENTERPRISE]: { department: 'Tour Operations', manager: { value: GROUP_ID } },
        meta: {
          resourceType: 'User',
          created: '2026-12-06T10:00:00.000Z',
          lastModified: '2026-12-06T10:00:00.000Z',
          location: `${BASE}/Users/${USER_ID}`,
          version: 'W/"1"',
        },
      },
    });
    expect(JSON.stringify(events)).not.toContain('password');
  });

  it('a group created with more members than its event lists is announced by notice, not as a partial full', () => {
    const e = event({
      type: 'group.created',
      resourceType: 'Group',
      resourceId: GROUP_ID,
      changes: [
        { path: 'displayName', value: 'Everyone' },
        { path: 'members', value: [USER_ID], count: 5000 },
      ],
    });
    expect(scimEventsOf(e, ALL, BASE)).toEqual({
      [SCIM_EVENT.createNotice]: { version: 'W/"3"', attributes: ['id', 'displayName', 'members'] },
    });
    const complete = event({ ...e, changes: [{ path: 'members', value: [USER_ID], count: 1 }] });
    expect(scimEventsOf(complete, ALL, BASE)[SCIM_EVENT.createFull]?.data).toMatchObject({
      members: [{ value: USER_ID }],
    });
  });

  it('create:notice and patch:notice list attribute paths (a password by name), each once, with the version', () => {
    const e = event({
      changes: [
        { path: 'name', value: { givenName: 'B' } },
        { path: 'password' },
        { path: `${ENTERPRISE}:department`, value: 'X' },
        { path: 'emails' },
      ],
    });
    expect(scimEventsOf(e, ALL, BASE)[SCIM_EVENT.patchNotice]).toEqual({
      version: 'W/"3"',
      attributes: ['name', 'password', `${ENTERPRISE}:department`, 'emails'],
    });
    expect(JSON.stringify(scimEventsOf(e, ALL, BASE))).not.toContain('"X"');
  });

  it('claims: iss, iat, jti, aud, txn (the request id), toe, sub_id in SCIM format with externalId when known, no sub', () => {
    const claims = securityEventClaims(
      event({ type: 'user.created', changes: [{ path: 'externalId', value: 'bj-1' }] }),
      { id: 'r1', tag: TAG, audience: 'https://receiver.example.com', events: DEFAULT_SCIM_EVENT_URIS },
      ISSUER,
      1765000000,
    );
    expect(claims).toMatchObject({
      iss: ISSUER,
      iat: 1765000000,
      jti: setJti(TAG, 42n),
      aud: 'https://receiver.example.com',
      txn: 'req-1',
      toe: Math.floor(Date.parse('2026-12-06T10:00:00.000Z') / 1000),
      sub_id: { format: 'scim', uri: `/Users/${USER_ID}`, id: USER_ID, externalId: 'bj-1' },
    });
    expect(claims).not.toHaveProperty('sub');
    expect(Object.keys(claims!.events)).toEqual([SCIM_EVENT.createFull]);
  });

  it('txn falls back to the database transaction when the change had no request (CLI, background work)', () => {
    const receiver = { id: 'r1', tag: TAG, audience: 'a', events: SCIM_EVENT_URIS };
    expect(
      securityEventClaims(event({ type: 'user.deleted', requestId: null, xid: '777' }), receiver, ISSUER, 1)?.txn,
    ).toBe('xid:777');
    expect(
      securityEventClaims(event({ type: 'user.deleted', requestId: null }), receiver, ISSUER, 1),
    ).not.toHaveProperty('txn');
  });

  it('no SET when the receiver wants none of the change’s events', () => {
    const receiver = { id: 'r1', tag: TAG, audience: 'a', events: [SCIM_EVENT.delete] };
    expect(securityEventClaims(event({ type: 'user.updated' }), receiver, ISSUER, 1)).toBeNull();
    expect(
      securityEventClaims(event({ type: 'token.revoked', resourceType: 'ApiToken' }), receiver, ISSUER, 1),
    ).toBeNull();
  });

  it('jti: stable per receiver and position, distinct across receivers, decoded back only for its receiver', () => {
    const jti = setJti(TAG, 255n);
    expect(jti).toBe(`${TAG}00000000000000ff`);
    expect(setJti(TAG, 255n)).toBe(jti);
    expect(setJti('fedcba9876543210', 255n)).not.toBe(jti);
    expect(jtiPosition(TAG, jti)).toBe(255n);
    expect(jtiPosition('fedcba9876543210', jti)).toBeUndefined();
    for (const bad of [
      '',
      'x',
      `${TAG}0000000000000000`,
      `${TAG}ffffffffffffffff`,
      `${TAG}00000000000000fg`,
      `${jti}0`,
    ]) {
      expect(jtiPosition(TAG, bad)).toBeUndefined();
    }
  });

  it.each([
    [[SCIM_EVENT.createFull], ['group.created', 'user.created']],
    [[SCIM_EVENT.deactivate], ['user.deactivated']],
    [
      [SCIM_EVENT.activate, SCIM_EVENT.deactivate],
      ['user.deactivated', 'user.reactivated'],
    ],
    [[SCIM_EVENT.delete], ['group.deleted', 'user.deleted']],
    [
      [SCIM_EVENT.patchNotice],
      [
        'group.members_added',
        'group.members_removed',
        'group.updated',
        'user.deactivated',
        'user.reactivated',
        'user.updated',
      ],
    ],
    [['urn:example:unknown'], []],
  ])('the change types a receiver of %j needs: %j', (uris, types) => {
    expect(changeTypesFor(uris)).toEqual(types);
  });
});
