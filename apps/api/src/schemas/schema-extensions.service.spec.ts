import { Logger } from '@nestjs/common';
import type { SchemaExtensionRow, SchemaExtensionsRepository } from '@roster/db';
import { normalizeInput, SchemaRegistry, ScimError } from '@roster/scim';
import { loadConfig } from '../config';
import { Metrics } from '../ops/metrics';
import { SchemaExtensionsService } from './schema-extensions.service';

const URN = 'urn:example:acme:2.0:User';

function row(version = 1): SchemaExtensionRow {
  return {
    urn: URN,
    resourceType: 'User',
    required: false,
    schema: {
      id: URN,
      name: 'Acme',
      description: '',
      attributes: [
        {
          name: 'costCenter',
          type: 'string',
          multiValued: false,
          required: false,
          caseExact: false,
          mutability: 'readWrite',
          returned: 'default',
          uniqueness: 'none',
        },
      ],
    },
    version,
    created: new Date(0),
    lastModified: new Date(0),
  };
}

/** A repository stand-in over an in-memory table (services are tested against mocked repositories). */
function repository(rows: SchemaExtensionRow[], holders = 0) {
  return {
    list: jest.fn(() => Promise.resolve([...rows])),
    fingerprint: jest.fn(() => Promise.resolve(rows.map((r) => `${r.urn} ${r.version}`).join(','))),
    holders: jest.fn(() => Promise.resolve(holders)),
    delete: jest.fn((urn: string) => {
      rows.splice(
        rows.findIndex((r) => r.urn === urn),
        1,
      );
      return Promise.resolve();
    }),
    purge: jest.fn(() => Promise.resolve(holders)),
    dropIndexes: jest.fn(() => Promise.resolve()),
    openExtensions: jest.fn(() => Promise.resolve([])),
  };
}

function service(repo: ReturnType<typeof repository>, env: Record<string, string> = {}) {
  const registry = new SchemaRegistry();
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
  const metrics = new Metrics();
  const svc = new SchemaExtensionsService(registry, repo as unknown as SchemaExtensionsRepository, config, metrics);
  return { svc, registry, metrics };
}

describe('SchemaExtensionsService', () => {
  afterEach(() => jest.restoreAllMocks());

  it('loads the table into the registry, and reloads only when the fingerprint changes', async () => {
    const rows = [row()];
    const repo = repository(rows);
    const { svc, registry } = service(repo);
    await svc.refresh();
    expect(registry.schema(URN)).toBeDefined();
    await svc.refresh();
    expect(repo.list).toHaveBeenCalledTimes(1);
    rows.splice(0, 1);
    await svc.refresh();
    expect(repo.list).toHaveBeenCalledTimes(2);
    expect(registry.schema(URN)).toBeUndefined();
  });

  it('skips a stored row that no longer parses, and serves the others', async () => {
    const bad = {
      ...row(),
      urn: 'urn:example:bad:User',
      schema: { ...row().schema, id: 'urn:example:bad:User', attributes: [] },
    };
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { svc, registry } = service(repository([bad, row()]));
    await svc.refresh();
    expect(registry.schema(URN)).toBeDefined();
    expect(registry.schema('urn:example:bad:User')).toBeUndefined();
  });

  it('refuses to remove an extension resources hold values of, unless purged', async () => {
    const repo = repository([row()], 3);
    const { svc, registry } = service(repo);
    await svc.refresh();
    const refused = await svc.remove(URN, false).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ScimError);
    expect((refused as ScimError).status).toBe(409);
    expect(repo.delete).not.toHaveBeenCalled();
    await expect(svc.remove(URN, true)).resolves.toEqual({ purged: 3 });
    expect(repo.delete).toHaveBeenCalledWith(URN);
    // The registry forgot the schema before the values were purged.
    expect(repo.delete.mock.invocationCallOrder[0]).toBeLessThan(repo.purge.mock.invocationCallOrder[0]);
    expect(registry.schema(URN)).toBeUndefined();
  });

  it('ignore mode: logs each URN once per hour and counts every occurrence, bounded labels', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { registry, metrics } = service(repository([]), { SCHEMA_UNKNOWN_EXTENSIONS: 'ignore' });
    const send = (urn: string) => normalizeInput(registry, 'User', { userName: 'u', [urn]: { a: 1 } }, 'create');
    send('urn:example:one:User');
    send('urn:example:one:User');
    expect(warn).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 60; i++) send(`urn:example:n${i}:User`);
    // 50 named URNs (one, then n0..n48) log once each; the eleven beyond share one line.
    expect(warn).toHaveBeenCalledTimes(51);
    const text = await metrics.registry.metrics();
    expect(text).toContain('roster_scim_unknown_extensions_ignored_total{urn="urn:example:one:User"} 2');
    expect(text).toMatch(/roster_scim_unknown_extensions_ignored_total\{urn="other"\} \d+/);
    expect(text.match(/roster_scim_unknown_extensions_ignored_total\{/g)?.length).toBeLessThanOrEqual(51);
  });
});
