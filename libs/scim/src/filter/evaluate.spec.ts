import type { AttrPath, Filter } from './ast';
import { matchesElement } from './evaluate';
import { parseFilter } from './parser';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const member = { value: 'abc', type: 'work', primary: true, display: 'Alice' };

type Case = [filter: string, element: unknown, expected: boolean];

describe('matchesElement', () => {
  describe('string comparison (case-insensitive by default)', () => {
    it.each<Case>([
      ['value eq "abc"', member, true],
      ['value eq "ABC"', member, true],
      ['VALUE eq "abc"', member, true],
      ['Value eq "abd"', member, false],
      ['value ne "abc"', member, false],
      ['value ne "ABC"', member, false],
      ['value ne "x"', member, true],
      ['value co "B"', member, true],
      ['value co "bd"', member, false],
      ['value co ""', member, true],
      ['value sw "A"', member, true],
      ['value sw "b"', member, false],
      ['value ew "BC"', member, true],
      ['value ew "ab"', member, false],
      ['value gt "abb"', member, true],
      ['value gt "abc"', member, false],
      ['value ge "ABC"', member, true],
      ['value lt "abd"', member, true],
      ['value lt "ABC"', member, false],
      ['value le "abc"', member, true],
      ['value gt "B"', member, false],
      ['display eq alice', member, true],
      ['display eq "Alicé"', member, false],
    ])('%s on %j → %s', (filter, element, expected) => {
      expect(matchesElement(parseFilter(filter), element)).toBe(expected);
    });
  });

  describe('caseExact', () => {
    const exactValue = { caseExact: (path: AttrPath) => path.attr.toLowerCase() === 'value' };

    it.each<Case>([
      ['value eq "ABC"', member, false],
      ['value eq "abc"', member, true],
      ['value ne "ABC"', member, true],
      ['value co "B"', member, false],
      ['value sw "a"', member, true],
      ['value gt "B"', member, true],
      ['type eq "WORK"', member, true],
      ['type eq "WORK" and value eq "abc"', member, true],
    ])('%s on %j → %s (value is caseExact)', (filter, element, expected) => {
      expect(matchesElement(parseFilter(filter), element, exactValue)).toBe(expected);
    });

    it('receives the path as written in the filter', () => {
      const seen: AttrPath[] = [];
      matchesElement(
        parseFilter('Name.GivenName eq "x" or urn:a:b:Type eq "y"'),
        {},
        {
          caseExact: (path) => {
            seen.push(path);
            return false;
          },
        },
      );
      expect(seen).toEqual([
        { attr: 'Name', sub: 'GivenName' },
        { uri: 'urn:a:b', attr: 'Type' },
      ]);
    });
  });

  describe('booleans, numbers and null', () => {
    it.each<Case>([
      ['primary eq true', member, true],
      ['primary eq TRUE', member, true],
      ['primary eq false', member, false],
      ['primary eq "True"', member, true],
      ['primary eq "yes"', member, false],
      ['primary eq 1', member, false],
      ['primary ne false', member, true],
      ['primary ne true', member, false],
      ['primary gt false', member, false],
      ['primary co "t"', member, false],
      ['count eq 5', { count: 5 }, true],
      ['count eq 5.0', { count: 5 }, true],
      ['count eq "5"', { count: 5 }, true],
      ['count eq "five"', { count: 5 }, false],
      ['count gt 4', { count: 5 }, true],
      ['count gt 5', { count: 5 }, false],
      ['count ge 5', { count: 5 }, true],
      ['count lt 5.5', { count: 5 }, true],
      ['count le -1', { count: 5 }, false],
      ['count ne 5', { count: 5 }, false],
      ['count co 5', { count: 5 }, false],
      ['count sw 5', { count: 5 }, false],
      ['count eq true', { count: 1 }, false],
      ['employeeNumber eq 123', { employeeNumber: '123' }, true],
      ['employeeNumber eq 0123', { employeeNumber: '0123' }, true],
      ['active eq true', { active: 'True' }, true],
      ['manager eq null', {}, true],
      ['manager eq null', { manager: null }, true],
      ['manager eq null', { manager: '' }, true],
      ['manager eq null', { manager: { value: 'm1' } }, false],
      ['manager ne null', { manager: { value: 'm1' } }, true],
      ['manager ne null', {}, false],
      ['manager gt null', { manager: 'x' }, false],
      ['manager co null', { manager: 'x' }, false],
    ])('%s on %j → %s', (filter, element, expected) => {
      expect(matchesElement(parseFilter(filter), element)).toBe(expected);
    });
  });

  describe('pr', () => {
    it.each<Case>([
      ['value pr', member, true],
      ['missing pr', member, false],
      ['x pr', { x: undefined }, false],
      ['x pr', { x: null }, false],
      ['x pr', { x: '' }, false],
      ['x pr', { x: [] }, false],
      ['x pr', { x: [null, ''] }, false],
      ['x pr', { x: {} }, false],
      ['x pr', { x: { a: null } }, false],
      ['x pr', { x: { a: 1 } }, true],
      ['x pr', { x: 0 }, true],
      ['x pr', { x: false }, true],
      ['x pr', { x: ' ' }, true],
      ['x pr', { x: ['a'] }, true],
      ['not (x pr)', { x: '' }, true],
    ])('%s on %j → %s', (filter, element, expected) => {
      expect(matchesElement(parseFilter(filter), element)).toBe(expected);
    });
  });

  describe('absent attributes', () => {
    it.each<Case>([
      ['missing eq "x"', member, false],
      ['missing ne "x"', member, true],
      ['missing co ""', member, false],
      ['missing gt "a"', member, false],
      ['not (missing eq "x")', member, true],
    ])('%s on %j → %s', (filter, element, expected) => {
      expect(matchesElement(parseFilter(filter), element)).toBe(expected);
    });
  });

  describe('logic', () => {
    it.each<Case>([
      ['type eq "work" and primary eq true', member, true],
      ['type eq "work" and primary eq false', member, false],
      ['type eq "home" or primary eq true', member, true],
      ['type eq "home" or primary eq false', member, false],
      ['not (value eq "abc")', member, false],
      ['not (value eq "x")', member, true],
      ['type eq "home" or type eq "work" and value eq "abc"', member, true],
      ['(type eq "home" or type eq "work") and value eq "x"', member, false],
    ])('%s on %j → %s', (filter, element, expected) => {
      expect(matchesElement(parseFilter(filter), element)).toBe(expected);
    });
  });

  describe('multi-valued and complex values', () => {
    const tagged = { tags: ['a', 'B'] };
    const person = {
      name: { givenName: 'Barbara', familyName: 'Jensen' },
      emails: [
        { type: 'work', value: 'y@work.example' },
        { type: 'home', value: 'x@home.example' },
      ],
      manager: { value: 'm1', displayName: 'Boss' },
    };

    it.each<Case>([
      ['tags eq "b"', tagged, true],
      ['tags eq "c"', tagged, false],
      ['tags ne "a"', tagged, false],
      ['tags ne "c"', tagged, true],
      ['tags co "b"', tagged, true],
      ['tags pr', tagged, true],
      ['tags pr', { tags: [] }, false],
      ['tags.x pr', tagged, false],
      ['name.givenName sw "bar"', person, true],
      ['NAME.GIVENNAME eq "barbara"', person, true],
      ['name.middleName pr', person, false],
      ['name.givenName eq "x"', person, false],
      ['emails.value ew "@home.example"', person, true],
      ['emails.type eq "other"', person, false],
      ['emails[type eq "home"]', person, true],
      ['emails[type eq "other"]', person, false],
      ['emails[type eq "work" and value sw "y"]', person, true],
      // Entra's form pins both conditions to ONE element: the work email is not x@home.example.
      ['emails[type eq "work"].value eq "x@home.example"', person, false],
      ['emails[type eq "home"].value eq "x@home.example"', person, true],
      ['emails[type eq "work"].value pr', person, true],
      ['manager eq "M1"', person, true],
      ['manager.displayName eq "boss"', person, true],
      ['manager co "m"', person, true],
      ['name eq "Barbara"', person, false],
    ])('%s on %j → %s', (filter, element, expected) => {
      expect(matchesElement(parseFilter(filter), element)).toBe(expected);
    });
  });

  describe('dateTime values compare as instants', () => {
    const meta = { created: '2015-10-10T14:38:21.8617979-07:00', lastModified: '2021-09-23T19:35:41.8420572Z' };

    it.each<Case>([
      ['created eq "2015-10-10T21:38:21.8617979Z"', meta, true],
      ['created eq "2015-10-10T21:38:21.861Z"', meta, false],
      ['created gt "2015-10-10T21:38:21.8617978Z"', meta, true],
      ['created gt "2015-10-10T21:38:21Z"', meta, true],
      ['created lt "2015-10-10T21:38:22Z"', meta, true],
      ['created gt 2015-10-10T14:38:21.8617979-07:00', meta, false],
      ['created ge 2015-10-10T14:38:21.8617979-07:00', meta, true],
      // Lexicographically "14:38" < "20:00", but as instants 21:38Z is after 20:00Z.
      ['created gt "2015-10-10T20:00:00Z"', meta, true],
      ['created gt "2015-10-10T13:00:00-0900"', meta, false],
      ['lastModified ge "0001-01-03T00:00:00.0000000Z"', meta, true],
      ['lastModified le "2021-09-23T19:35:41.8420572Z"', meta, true],
      ['lastModified lt "2021-09-23T21:35:41+02:00"', meta, false],
      ['lastModified gt "2021-09-23T19:35"', meta, true],
      ['lastModified eq "2021-09-23t19:35:41.8420572z"', meta, true],
      // Not a valid date: falls back to (case-insensitive) lexicographic comparison.
      ['lastModified lt "2021-13-01T00:00:00Z"', meta, true],
      ['lastModified gt "2021"', meta, true],
      ['lastModified co "T19"', meta, true],
    ])('%s on %j → %s', (filter, element, expected) => {
      expect(matchesElement(parseFilter(filter), element)).toBe(expected);
    });
  });

  describe('element shapes', () => {
    it.each<Case>([
      // A simple multi-valued attribute's item answers to `value`.
      ['value eq "ABC"', 'abc', true],
      ['value pr', 'abc', true],
      ['type eq "x"', 'abc', false],
      ['value gt 3', 5, true],
      ['value eq true', true, true],
      ['value pr', null, false],
      ['value eq "x"', undefined, false],
      ['not (value pr)', null, true],
      ['value eq "a"', ['a'], false],
      // Microsoft's collection capitalises sub-attributes ("Primary", "Value").
      ['primary eq true', { Primary: true, Value: 'x' }, true],
      ['value eq "x"', { Primary: true, Value: 'x' }, true],
      ['value eq "exact"', { Value: 'other', value: 'exact' }, true],
      // Lookup never reaches the prototype chain.
      ['constructor pr', {}, false],
      ['toString pr', {}, false],
      ['hasOwnProperty eq "x"', {}, false],
    ])('%s on %j → %s', (filter, element, expected) => {
      expect(matchesElement(parseFilter(filter), element)).toBe(expected);
    });

    it('treats "__proto__" as an ordinary own key, never the prototype', () => {
      // The parser rejects the name, so build the AST by hand as a defence-in-depth check of the lookup.
      const filter: Filter = { kind: 'present', path: { attr: '__proto__' } };
      expect(matchesElement(filter, {})).toBe(false);
      expect(matchesElement(filter, JSON.parse('{"__proto__": "x"}'))).toBe(true);
    });
  });

  describe('URI-qualified paths', () => {
    const user = {
      userName: 'bjensen',
      [ENTERPRISE]: { employeeNumber: '701984', manager: { value: 'm1' } },
    };

    it.each<Case>([
      [`${ENTERPRISE}:employeeNumber eq "701984"`, user, true],
      [`${ENTERPRISE.toUpperCase()}:EMPLOYEENUMBER eq "701984"`, user, true],
      [`${ENTERPRISE}:manager.value eq "M1"`, user, true],
      [`${ENTERPRISE}.manager eq "m1"`, user, true],
      ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "BJENSEN"', user, true],
      // The extension object exists, so the lookup stays inside it: userName is not an enterprise attribute.
      [`${ENTERPRISE}:userName eq "bjensen"`, user, false],
      [`${ENTERPRISE}:costCenter pr`, user, false],
      ['employeeNumber pr', user, false],
    ])('%s → %s', (filter, element, expected) => {
      expect(matchesElement(parseFilter(filter), element)).toBe(expected);
    });
  });

  it('evaluates hand-built ASTs the parser never produces (sub-attribute on a valuePath)', () => {
    const filter: Filter = {
      kind: 'valuePath',
      path: { attr: 'name', sub: 'parts' },
      filter: { kind: 'compare', path: { attr: 'value' }, op: 'eq', value: 'b' },
    };
    expect(matchesElement(filter, { name: { parts: [{ value: 'a' }, { value: 'B' }] } })).toBe(true);
    expect(matchesElement(filter, { name: { parts: 'b' } })).toBe(true);
    expect(matchesElement(filter, { name: {} })).toBe(false);
  });
});
