import type { GroupRecord, UserRecord } from '@roster/db';
import { currentActor, runAsActor } from './actor-scope';
import {
  docChanges,
  groupDrafts,
  memberChanges,
  mergeMemberChanges,
  NO_MEMBER_CHANGES,
  userDrafts,
} from './events.service';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function user(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id: '2819c223-7f76-453a-919d-413861904646',
    userName: 'bjensen',
    externalId: null,
    displayName: null,
    active: true,
    doc: { userName: 'bjensen', active: true },
    passwordHash: null,
    version: 1,
    created: new Date(0),
    lastModified: new Date(0),
    ...overrides,
  };
}

function group(overrides: Partial<GroupRecord> = {}): GroupRecord {
  return {
    id: 'e9e30dba-f08f-4109-8486-d5c6a331660a',
    displayName: 'Tour Guides',
    externalId: null,
    doc: { displayName: 'Tour Guides' },
    version: 1,
    created: new Date(0),
    lastModified: new Date(0),
    hasLogo: false,
    ...overrides,
  };
}

describe('docChanges', () => {
  it('lists changed, added and removed top-level attributes with their new values', () => {
    expect(docChanges({ a: 1, b: [1, 2], c: 'x' }, { a: 1, b: [1, 3], d: { e: true } }, null, null)).toEqual([
      { path: 'b', value: [1, 3] },
      { path: 'c' },
      { path: 'd', value: { e: true } },
    ]);
  });

  it('names extension attributes by their URN and attribute', () => {
    expect(
      docChanges(
        { [ENTERPRISE]: { department: 'R&D', costCenter: '1' } },
        { [ENTERPRISE]: { department: 'Ops', costCenter: '1' } },
        null,
        null,
      ),
    ).toEqual([{ path: `${ENTERPRISE}:department`, value: 'Ops' }]);
  });

  it('names a changed password without its value, and never copies a password attribute', () => {
    const changes = docChanges({}, { password: 'in-the-doc-by-mistake' }, 'scrypt$old', 'scrypt$new');
    expect(changes).toEqual([{ path: 'password' }]);
    expect(JSON.stringify(changes)).not.toContain('scrypt');
  });
});

describe('userDrafts', () => {
  it('types a change of active as deactivated or reactivated, naming the cascade on deactivation', () => {
    const before = user();
    const off = user({ active: false, doc: { userName: 'bjensen', active: false }, version: 2 });
    const [deactivated] = userDrafts(before, off);
    expect(deactivated).toMatchObject({
      type: 'user.deactivated',
      version: 2,
      changes: [{ path: 'active', value: false }],
    });
    expect(deactivated.detail?.cascade).toContain('access_tokens');
    expect(userDrafts(off, user({ version: 3 }))[0].type).toBe('user.reactivated');
  });

  it('writes nothing when the version did not move (a PATCH that changed nothing)', () => {
    expect(userDrafts(user(), user())).toEqual([]);
  });

  it('creates and deletes', () => {
    expect(userDrafts(undefined, user())[0]).toMatchObject({
      type: 'user.created',
      changes: [
        { path: 'userName', value: 'bjensen' },
        { path: 'active', value: true },
      ],
    });
    expect(userDrafts(user({ version: 4 }), undefined)[0]).toMatchObject({ type: 'user.deleted', version: 4 });
  });
});

describe('groupDrafts', () => {
  it('one members_added and one members_removed per write, beside the attribute update', () => {
    const members = mergeMemberChanges(
      memberChanges({ count: 2, ids: ['a', 'b'] }),
      memberChanges(undefined, { count: 1, ids: ['c'] }),
    );
    const drafts = groupDrafts(group(), group({ doc: { displayName: 'Guides' }, version: 2 }), members, false);
    expect(drafts.map((d) => [d.type, d.changes])).toEqual([
      ['group.updated', [{ path: 'displayName', value: 'Guides' }]],
      ['group.members_added', [{ path: 'members', value: ['a', 'b'], count: 2 }]],
      ['group.members_removed', [{ path: 'members', value: ['c'], count: 1 }]],
    ]);
  });

  it('a logo change is an update; nothing changed is no event', () => {
    expect(groupDrafts(group(), group({ hasLogo: true, version: 2 }), NO_MEMBER_CHANGES, true)[0].type).toBe(
      'group.updated',
    );
    expect(groupDrafts(group(), group(), NO_MEMBER_CHANGES, false)).toEqual([]);
  });
});

describe('actor scope', () => {
  it('is the system outside a request, and a fixed actor inside runAsActor', () => {
    expect(currentActor()).toMatchObject({ kind: 'system', id: null });
    expect(runAsActor({ kind: 'cli', id: 'ops@host', name: 'roster CLI' }, () => currentActor())).toEqual({
      kind: 'cli',
      id: 'ops@host',
      name: 'roster CLI',
      requestId: null,
      clientAddress: null,
      userAgent: null,
    });
  });
});
