import type { EventRecord } from '@roster/db';
import { consoleCursor } from './console-events';
import { changedPaths } from './console-events.pages';
import { characteristics } from './console-schemas.pages';

function event(changes: unknown[]): EventRecord {
  return {
    seq: 1n,
    time: new Date(0),
    type: 'user.updated',
    resourceType: 'User',
    resourceId: 'x',
    version: 2,
    changes,
    detail: null,
    actorKind: 'console',
    actorId: null,
    actorName: null,
    requestId: null,
    clientAddress: null,
    userAgent: null,
  };
}

describe('console events', () => {
  it('takes only cursors the feed issues', () => {
    expect(consoleCursor('42')).toBe('42');
    expect(consoleCursor('9223372036854775807')).toBe('9223372036854775807');
    expect(consoleCursor('9223372036854775808')).toBe('');
    expect(consoleCursor('-1')).toBe('');
    expect(consoleCursor('1e3')).toBe('');
    expect(consoleCursor(['1', '2'])).toBe('');
    expect(consoleCursor(undefined)).toBe('');
  });

  it('lists changed paths, with member counts, and no more than eight', () => {
    expect(
      changedPaths(
        event([
          { path: 'active', value: false },
          { path: 'members', value: ['a'], count: 3 },
        ]),
      ),
    ).toBe('active, members (3)');
    const many = Array.from({ length: 11 }, (_, i) => ({ path: `p${i}` }));
    expect(changedPaths(event(many))).toBe('p0, p1, p2, p3, p4, p5, p6, p7 and 3 more');
    expect(changedPaths(event([null, { value: 1 }]))).toBe('');
  });

  it('spells out attribute characteristics with the RFC 7643 defaults', () => {
    expect(characteristics({ name: 'n' })).toBe(
      'string · single-valued · optional · mutability readWrite · returned default · uniqueness none · case-insensitive',
    );
    expect(
      characteristics({ type: 'integer', multiValued: true, required: true, canonicalValues: [1, 2], caseExact: true }),
    ).toContain('multi-valued · required');
  });
});
