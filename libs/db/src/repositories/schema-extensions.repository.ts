import { Injectable } from '@nestjs/common';
import type { AttributeDefinition, CustomExtension, ResourceTypeName, SchemaDefinition } from '@roster/scim';
import { createHash } from 'node:crypto';
import { PrismaService } from '../prisma.service';

export interface SchemaExtensionRow {
  urn: string;
  resourceType: ResourceTypeName;
  required: boolean;
  schema: SchemaDefinition;
  version: number;
  created: Date;
  lastModified: Date;
}

/** One expression index Roster keeps for a registered attribute. */
export interface ExtensionIndex {
  name: string;
  table: 'users' | 'groups';
  unique: boolean;
  /** The indexed expression, written exactly as filter-sql.ts compiles the attribute. */
  expression: string;
  /** `text_pattern_ops` for the index that serves `sw` (LIKE 'x%') under any collation. */
  opclass?: 'text_pattern_ops';
  /** `(expression, id)`: what `ORDER BY expression, r.id` (sortBy, keyset cursors) reads in order. */
  withId?: boolean;
}

function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * The indexes that make `eq`, `sw` and `sortBy` on a singular attribute of `extension` use an
 * index, plus a unique index for `uniqueness: server`. The expressions match what the filter
 * compiler writes (`lower((doc->'urn'->>'attr'))` for case-insensitive strings, the `::numeric`
 * cast for numbers), since PostgreSQL only uses an expression index for the same expression.
 * dateTime (its cast is not immutable), booleans (two values) and multi-valued or complex
 * attributes get none.
 */
export function extensionIndexes(extension: CustomExtension): ExtensionIndex[] {
  const table = extension.resourceType === 'Group' ? 'groups' : 'users';
  const out: ExtensionIndex[] = [];
  const add = (attribute: AttributeDefinition): void => {
    if (attribute.multiValued || attribute.type === 'complex') return;
    const text = `(doc->${sqlLiteral(extension.schema.id)}->>${sqlLiteral(attribute.name)})`;
    const hash = shortHash(`${extension.schema.id.toLowerCase()}:${attribute.name.toLowerCase()}`);
    let expression: string;
    let prefix = false;
    switch (attribute.type) {
      case 'string':
      case 'reference':
      case 'binary':
        expression = attribute.caseExact ? text : `lower(${text})`;
        prefix = true;
        break;
      case 'integer':
      case 'decimal':
        expression = `(${text})::numeric`;
        break;
      default:
        if (attribute.uniqueness === 'server') expression = text;
        else return;
    }
    out.push({ name: `${table}_ext_${hash}`, table, unique: false, expression, withId: true });
    if (prefix)
      out.push({ name: `${table}_extp_${hash}`, table, unique: false, expression, opclass: 'text_pattern_ops' });
    if (attribute.uniqueness === 'server') out.push({ name: `${table}_extu_${hash}`, table, unique: true, expression });
  };
  for (const attribute of extension.schema.attributes) add(attribute);
  return out;
}

/** The extension attribute a unique extension index belongs to, from the index name in an error. */
export function uniqueIndexAttribute(extensions: CustomExtension[], message: string): string | undefined {
  const found = /(users|groups)_extu_([0-9a-f]{12})/.exec(message);
  if (!found) return undefined;
  for (const extension of extensions) {
    for (const attribute of extension.schema.attributes) {
      if (shortHash(`${extension.schema.id.toLowerCase()}:${attribute.name.toLowerCase()}`) === found[2]) {
        return `${extension.schema.id}:${attribute.name}`;
      }
    }
  }
  return undefined;
}

interface RawRow {
  urn: string;
  resource_type: string;
  required: boolean;
  schema: unknown;
  version: number;
  created: Date;
  last_modified: Date;
}

/** `schema_extensions`, and the indexes and documents that depend on a registered extension. */
@Injectable()
export class SchemaExtensionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async list(): Promise<SchemaExtensionRow[]> {
    const rows = await this.prisma.client.$queryRawUnsafe<RawRow[]>(
      `SELECT urn, resource_type, required, schema, version, created, last_modified
         FROM schema_extensions ORDER BY created, urn`,
    );
    return rows.map((r) => ({
      urn: r.urn,
      resourceType: r.resource_type === 'Group' ? 'Group' : 'User',
      required: r.required,
      schema: (typeof r.schema === 'string' ? JSON.parse(r.schema) : r.schema) as SchemaDefinition,
      version: Number(r.version),
      created: new Date(r.created),
      lastModified: new Date(r.last_modified),
    }));
  }

  /** Changes whenever a row is added, changed or removed: what every instance polls. */
  async fingerprint(): Promise<string> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ f: string | null }[]>(
      `SELECT string_agg(urn || ' ' || version::text || ' ' || extract(epoch FROM last_modified)::text, ',' ORDER BY urn) AS f
         FROM schema_extensions`,
    );
    return rows[0]?.f ?? '';
  }

  /** Inserts the row; false when the URN (in any case) is already registered. */
  async insert(extension: CustomExtension): Promise<boolean> {
    const inserted = await this.prisma.client.$executeRawUnsafe(
      `INSERT INTO schema_extensions (urn, resource_type, required, schema, version, created, last_modified)
       SELECT $1, $2, $3, $4::jsonb, 1, now(), now()
        WHERE NOT EXISTS (SELECT 1 FROM schema_extensions WHERE lower(urn) = lower($1))
       ON CONFLICT (urn) DO NOTHING`,
      extension.schema.id,
      extension.resourceType,
      extension.required,
      JSON.stringify(extension.schema),
    );
    return inserted > 0;
  }

  /** Replaces the row if its version is still `version`; false when someone changed it first. */
  async update(extension: CustomExtension, version: number): Promise<boolean> {
    const updated = await this.prisma.client.$executeRawUnsafe(
      `UPDATE schema_extensions SET required = $2, schema = $3::jsonb, version = version + 1, last_modified = now()
        WHERE urn = $1 AND version = $4`,
      extension.schema.id,
      extension.required,
      JSON.stringify(extension.schema),
      version,
    );
    return updated > 0;
  }

  /** The open extensions (SCHEMA_UNKNOWN_EXTENSIONS=store) some instance has stored, from `settings`. */
  async openExtensions(): Promise<{ resourceType: ResourceTypeName; urn: string }[]> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ value: unknown }[]>(
      `SELECT value FROM settings WHERE key = 'open_extensions'`,
    );
    const value = rows[0]?.value;
    const list: unknown = typeof value === 'string' ? JSON.parse(value) : value;
    if (!Array.isArray(list)) return [];
    return list.flatMap((e: unknown) => {
      const { resourceType, urn } = (e ?? {}) as { resourceType?: unknown; urn?: unknown };
      return typeof urn === 'string' && (resourceType === 'User' || resourceType === 'Group')
        ? [{ resourceType, urn }]
        : [];
    });
  }

  /** Adds one to the list (once; at most `max` entries in all, so the list stays bounded). */
  async addOpenExtension(resourceType: ResourceTypeName, urn: string, max: number): Promise<void> {
    const entry = JSON.stringify([{ resourceType, urn }]);
    await this.prisma.client.$executeRawUnsafe(
      `INSERT INTO settings (key, value, updated) VALUES ('open_extensions', $1::jsonb, now())
       ON CONFLICT (key) DO UPDATE SET value = settings.value || $1::jsonb, updated = now()
        WHERE NOT settings.value @> $1::jsonb AND jsonb_array_length(settings.value) < $2`,
      entry,
      max,
    );
  }

  async delete(urn: string): Promise<void> {
    await this.prisma.client.$executeRawUnsafe(`DELETE FROM schema_extensions WHERE urn = $1`, urn);
  }

  /** How many resources hold data under the extension's key. */
  async holders(resourceType: ResourceTypeName, urn: string): Promise<number> {
    const table = resourceType === 'Group' ? 'groups' : 'users';
    const rows = await this.prisma.client.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM ${table} WHERE doc ? $1`,
      urn,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Whether any resource of the type exists (a required extension would invalidate it). */
  async anyResource(resourceType: ResourceTypeName): Promise<boolean> {
    const table = resourceType === 'Group' ? 'groups' : 'users';
    const rows = await this.prisma.client.$queryRawUnsafe<{ found: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM ${table}) AS found`,
    );
    return rows[0]?.found === true;
  }

  /** Removes the extension's values from every resource (a new version, so ETags change). */
  async purge(resourceType: ResourceTypeName, urn: string): Promise<number> {
    const table = resourceType === 'Group' ? 'groups' : 'users';
    return this.prisma.client.$executeRawUnsafe(
      `UPDATE ${table} SET doc = doc - $1, version = version + 1, last_modified = now() WHERE doc ? $1`,
      urn,
    );
  }

  /**
   * Creates the extension's indexes that do not exist yet: `CONCURRENTLY` on PostgreSQL, so that
   * registering an attribute on a large directory does not block writes (it cannot run in a
   * transaction, and a failed concurrent build leaves an invalid index, dropped and retried here);
   * plainly on PGlite, which has one connection and nothing to block. A unique index fails when
   * existing values collide, and that failure is the caller's to report.
   */
  async ensureIndexes(
    indexes: ExtensionIndex[],
    onSkipped: (index: ExtensionIndex, error: unknown) => void = () => undefined,
  ): Promise<void> {
    const concurrently = this.prisma.kind === 'postgres' ? ' CONCURRENTLY' : '';
    for (const index of indexes) {
      try {
        await this.ensureIndex(index, concurrently);
      } catch (error) {
        // A unique index is the uniqueness guarantee: without it the registration must fail. The
        // others only make reads faster, so a build that fails (a lock timeout behind a long
        // transaction) leaves the attribute working, unindexed, and the next change retries it.
        await this.prisma.client.$executeRawUnsafe(`DROP INDEX${concurrently} IF EXISTS "${index.name}"`);
        if (index.unique) throw error;
        onSkipped(index, error);
      }
    }
  }

  private async ensureIndex(index: ExtensionIndex, concurrently: string): Promise<void> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ valid: boolean }[]>(
      `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`,
      index.name,
    );
    if (rows[0]?.valid) return;
    if (rows.length > 0) {
      await this.prisma.client.$executeRawUnsafe(`DROP INDEX${concurrently} IF EXISTS "${index.name}"`);
    }
    const columns = `(${index.expression})${index.opclass ? ` ${index.opclass}` : ''}${index.withId ? ', id' : ''}`;
    // Outside the statement timeout: a concurrent build blocks no writer, and on a directory of
    // millions it takes longer than any request's statement should.
    await this.prisma.maintenance(
      `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX${concurrently} IF NOT EXISTS "${index.name}" ON ${index.table} (${columns})`,
    );
  }

  async dropIndexes(indexes: ExtensionIndex[]): Promise<void> {
    const concurrently = this.prisma.kind === 'postgres' ? ' CONCURRENTLY' : '';
    for (const index of indexes) {
      await this.prisma.client.$executeRawUnsafe(`DROP INDEX${concurrently} IF EXISTS "${index.name}"`);
    }
  }
}
