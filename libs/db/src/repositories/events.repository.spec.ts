import { changeList } from './events.repository';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('changeList', () => {
  it('keeps a stored list as it is', () => {
    const stored = [{ path: 'nickName', value: 'Babs' }, { path: 'password' }];
    expect(changeList(stored)).toBe(stored);
  });

  it("turns a creation stored as its document into the document's attributes, extensions by URN, the password last and by name", () => {
    expect(
      changeList({
        password: null,
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
        userName: 'bjensen',
        name: { givenName: 'Barbara' },
        nickName: null,
        [ENTERPRISE]: { department: 'R&D', manager: { value: 'x' } },
      }),
    ).toEqual([
      { path: 'schemas', value: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE] },
      { path: 'userName', value: 'bjensen' },
      { path: 'name', value: { givenName: 'Barbara' } },
      { path: 'nickName', value: null },
      { path: `${ENTERPRISE}:department`, value: 'R&D' },
      { path: `${ENTERPRISE}:manager`, value: { value: 'x' } },
      { path: 'password' },
    ]);
  });

  it('has no changes for a value that is neither', () => {
    expect(changeList(null)).toEqual([]);
    expect(changeList('text')).toEqual([]);
  });
});
