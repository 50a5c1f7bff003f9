import { parseExtensionSchema, parseFilter, SchemaRegistry } from '@roster/scim';
import { compileFilter, compileSortKey, SqlParams } from '../filter-sql';
import { extensionIndexes, uniqueIndexAttribute } from './schema-extensions.repository';

const URN = 'urn:example:params:scim:schemas:extension:acme-co_1:1.0:User';
const extension = parseExtensionSchema({
  id: URN,
  resourceType: 'User',
  attributes: [
    { name: 'costCenter' },
    { name: 'code', caseExact: true },
    { name: 'badge', type: 'integer', uniqueness: 'server' },
    { name: 'ratio', type: 'decimal' },
    { name: 'remote', type: 'boolean' },
    { name: 'hired', type: 'dateTime' },
    { name: 'skills', multiValued: true },
    { name: 'site', type: 'complex', subAttributes: [{ name: 'floor', type: 'integer' }] },
  ],
});
const registry = new SchemaRegistry();
registry.setCustomExtensions([extension]);

/** The filter compiler's SQL for one term, with the table alias removed (index expressions have none). */
function compiled(filter: string): string {
  const params = new SqlParams();
  return compileFilter(parseFilter(filter), { registry, resourceType: 'User', params, baseUrl: 'http://x/v2' }).replace(
    /\br\./g,
    '',
  );
}

function sortKey(attribute: string): string {
  return compileSortKey(`${URN}:${attribute}`, {
    registry,
    resourceType: 'User',
    params: new SqlParams(),
    baseUrl: 'http://x/v2',
  }).sql.replace(/\br\./g, '');
}

describe('extensionIndexes', () => {
  const indexes = extensionIndexes(extension);
  const byAttribute = (name: string) => indexes.filter((i) => i.expression.includes(`'${name}'`));

  it('indexes singular string and number attributes, not booleans, dateTimes, lists or complex ones', () => {
    expect(new Set(indexes.map((i) => i.expression.match(/->>'(\w+)'/)?.[1]))).toEqual(
      new Set(['costCenter', 'code', 'badge', 'ratio']),
    );
    expect(indexes.every((i) => i.table === 'users' && i.name.length <= 63)).toBe(true);
    expect(new Set(indexes.map((i) => i.name)).size).toBe(indexes.length);
  });

  it.each([
    ['costCenter', `${URN}:costCenter eq "x"`, 'costCenter'],
    ['code', `${URN}:code eq "x"`, 'code'],
    ['badge', `${URN}:badge gt 3`, 'badge'],
    ['ratio', `${URN}:ratio le 0.5`, 'ratio'],
  ])('writes the expression the filter compiler writes for %s (filters and sortBy)', (name, filter, attribute) => {
    const [main] = byAttribute(name);
    expect(compiled(filter)).toContain(main.expression);
    expect(sortKey(attribute)).toBe(main.expression);
  });

  it('adds a text_pattern_ops index for sw on strings, and a unique one for uniqueness: server', () => {
    expect(byAttribute('costCenter').map((i) => i.opclass)).toEqual([undefined, 'text_pattern_ops']);
    expect(compiled(`${URN}:costCenter sw "x"`)).toContain(`${byAttribute('costCenter')[1].expression} LIKE`);
    expect(byAttribute('badge').filter((i) => i.unique)).toHaveLength(1);
    expect(byAttribute('costCenter').some((i) => i.unique)).toBe(false);
  });

  it('finds the attribute of a unique index in a violation message', () => {
    const unique = indexes.find((i) => i.unique)!;
    const message = `duplicate key value violates unique constraint "${unique.name}"`;
    expect(uniqueIndexAttribute([extension], message)).toBe(`${URN}:badge`);
    expect(
      uniqueIndexAttribute([extension], 'duplicate key value violates unique constraint "users_user_name_key"'),
    ).toBe(undefined);
  });
});
