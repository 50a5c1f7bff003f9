import { parseFilter } from '@roster/scim';
import { userSearchFilter } from './console-search';

describe('userSearchFilter', () => {
  it('passes a SCIM filter through', () => {
    expect(userSearchFilter('userName sw "bj"')).toBe('userName sw "bj"');
    expect(userSearchFilter('title pr')).toBe('title pr');
    expect(userSearchFilter('active eq false')).toBe('active eq false');
  });

  it('turns free text into a contains-filter over names and e-mails, quotes escaped', () => {
    const filter = userSearchFilter('  Babs "J" \\ ')!;
    expect(filter).toBe(
      'userName co "Babs \\"J\\" \\\\" or displayName co "Babs \\"J\\" \\\\" or name.familyName co "Babs \\"J\\" \\\\" or emails.value co "Babs \\"J\\" \\\\"',
    );
    // What it builds is a filter the parser accepts.
    expect(() => parseFilter(filter)).not.toThrow();
  });

  it('has no filter for an empty box', () => {
    expect(userSearchFilter('   ')).toBeUndefined();
  });
});
