import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { extensionIndexes, SchemaExtensionRow, SchemaExtensionsRepository } from '@roster/db';
import {
  assertExtensionUrn,
  checkCompatibleChange,
  CustomExtension,
  parseExtensionSchema,
  ResourceTypeName,
  SchemaRegistry,
  ScimError,
} from '@roster/scim';
import { Counter } from 'prom-client';
import { APP_CONFIG, AppConfig } from '../config';
import { Metrics } from '../ops/metrics';

/** What GET /admin/schemas shows of one registered extension. */
export interface SchemaExtensionView {
  id: string;
  resourceType: string;
  required: boolean;
  name: string;
  description: string;
  attributes: unknown[];
  version: number;
  created: string;
  lastModified: string;
  /** The expression indexes Roster keeps for it (names), for EXPLAIN and operators. */
  indexes: string[];
}

/** Ignored URNs are logged at most once per hour each. */
const IGNORED_LOG_INTERVAL_MS = 60 * 60 * 1000;
/** Open extensions listed in /Schemas (store mode), at most. */
const OPEN_EXTENSIONS = 100;
/** Distinct URNs counted by name; beyond them, under "other", so the metric stays bounded. */
const IGNORED_LABELS = 50;

function toExtension(row: SchemaExtensionRow): CustomExtension {
  return { resourceType: row.resourceType, required: row.required, schema: row.schema };
}

/**
 * Extension schemas registered at runtime (issue 15): stored in `schema_extensions`, loaded into
 * the one SchemaRegistry at start and reloaded whenever the table's fingerprint changes, polled
 * every SCHEMA_REFRESH_INTERVAL_MS, so every instance on one database serves the same registry
 * within a few seconds of a change. Admin writes are logged like the other admin writes.
 */
@Injectable()
export class SchemaExtensionsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SchemaExtensions');
  private fingerprint?: string;
  private timer?: NodeJS.Timeout;
  private reloads: Promise<void> = Promise.resolve();
  private polling = false;
  private readonly ignoredAt = new Map<string, number>();
  private readonly openSeen = new Set<string>();
  private readonly ignored: Counter<'urn'>;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly extensions: SchemaExtensionsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: Metrics,
  ) {
    this.ignored = new Counter({
      name: 'roster_scim_unknown_extensions_ignored_total',
      help: 'Attributes of unregistered extension URNs dropped (SCHEMA_UNKNOWN_EXTENSIONS=ignore), by URN.',
      labelNames: ['urn'] as const,
      registers: [metrics.registry],
    });
    registry.setUnknownExtensions({
      mode: config.schemas.unknownExtensions,
      onIgnored: (urn) => this.noteIgnored(urn),
      onStored: (resourceType, urn) => this.noteStored(resourceType, urn),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      // A slow database must not pile polls up: one waits at most.
      if (this.polling) return;
      this.polling = true;
      this.refresh()
        .catch((error: unknown) =>
          this.logger.warn({ err: String(error) }, 'Could not reload the registered extension schemas.'),
        )
        .finally(() => (this.polling = false));
    }, this.config.schemas.refreshIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Reloads the registry when the table changed since the last look (one cheap query otherwise).
   * Reloads run one after another, so a forced one after an admin write is never answered by a
   * poll that read the table before the write.
   */
  refresh(force = false): Promise<void> {
    const next = this.reloads.then(() => this.reload(force));
    this.reloads = next.catch(() => undefined);
    return next;
  }

  private async reload(force: boolean): Promise<void> {
    if (this.config.schemas.unknownExtensions === 'store') {
      const open = await this.extensions.openExtensions();
      for (const e of open) this.openSeen.add(`${e.resourceType} ${e.urn.toLowerCase()}`);
      this.registry.setOpenExtensions(open);
    }
    const fingerprint = await this.extensions.fingerprint();
    if (!force && fingerprint === this.fingerprint) return;
    const rows = await this.extensions.list();
    const usable: CustomExtension[] = [];
    for (const row of rows) {
      // A row another version wrote must not stop this instance from serving the others.
      try {
        const existing = [
          ...this.registry.schemas().filter((s) => this.registry.isBuiltIn(s.id)),
          ...usable.map((u) => u.schema),
        ];
        usable.push(
          parseExtensionSchema(
            { ...row.schema, resourceType: row.resourceType, required: row.required },
            existing.map((s) => s.id),
          ),
        );
      } catch (error) {
        this.logger.error({ urn: row.urn, err: String(error) }, 'A registered extension schema is invalid; skipped.');
      }
    }
    this.registry.setCustomExtensions(usable);
    if (this.config.schemas.unknownExtensions === 'store') {
      this.registry.setOpenExtensions(await this.extensions.openExtensions());
    }
    if (this.fingerprint !== undefined) {
      this.logger.log({ extensions: usable.map((u) => u.schema.id) }, 'Reloaded the registered extension schemas.');
    }
    this.fingerprint = fingerprint;
  }

  async list(): Promise<SchemaExtensionView[]> {
    return (await this.extensions.list()).map((row) => this.view(row));
  }

  async get(urn: string): Promise<SchemaExtensionView> {
    return this.view(await this.row(urn));
  }

  async register(body: unknown): Promise<SchemaExtensionView> {
    await this.refresh();
    const extension = parseExtensionSchema(
      body,
      this.registry.schemas().map((s) => s.id),
    );
    const demands = extension.schema.attributes.some((a) => a.required && a.mutability !== 'readOnly');
    if (extension.required && demands && (await this.extensions.anyResource(extension.resourceType))) {
      // Every existing resource would then fail its next PUT or PATCH for attributes it cannot have yet.
      throw ScimError.conflict(
        `A required extension with required attributes cannot be registered while ${extension.resourceType} resources exist; ` +
          'register it with "required": false (or without required attributes)',
      );
    }
    if (!(await this.extensions.insert(extension))) {
      throw ScimError.conflict(`The schema "${extension.schema.id}" is already registered`);
    }
    try {
      await this.extensions.ensureIndexes(extensionIndexes(extension), this.indexSkipped);
    } catch (error) {
      await this.extensions.dropIndexes(extensionIndexes(extension));
      await this.extensions.delete(extension.schema.id);
      throw error;
    }
    await this.refresh(true);
    this.logger.log(
      {
        urn: extension.schema.id,
        resourceType: extension.resourceType,
        attributes: extension.schema.attributes.length,
      },
      'Registered an extension schema.',
    );
    return this.get(extension.schema.id);
  }

  async replace(urn: string, body: unknown): Promise<SchemaExtensionView> {
    const current = await this.row(urn);
    const bodyObject = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
    const others = this.registry
      .schemas()
      .map((s) => s.id)
      .filter((id) => id.toLowerCase() !== current.urn.toLowerCase());
    const next = parseExtensionSchema(
      { resourceType: current.resourceType, ...bodyObject, id: (bodyObject as { id?: unknown }).id ?? current.urn },
      others,
    );
    checkCompatibleChange(toExtension(current), next);
    // The URN keeps the case it was registered with: it is the key stored documents use.
    next.schema = { ...next.schema, id: current.urn };
    if (!(await this.extensions.update(next, current.version))) {
      throw ScimError.conflict(`The schema "${current.urn}" was changed meanwhile; read it again and retry`);
    }
    await this.extensions.ensureIndexes(extensionIndexes(next), this.indexSkipped);
    await this.refresh(true);
    this.logger.log({ urn: current.urn, version: current.version + 1 }, 'Changed an extension schema.');
    return this.get(current.urn);
  }

  async remove(urn: string, purge: boolean): Promise<{ purged: number }> {
    const current = await this.row(urn);
    const holders = await this.extensions.holders(current.resourceType, current.urn);
    if (holders > 0 && !purge) {
      throw ScimError.conflict(
        `${holders} resource(s) hold values of "${current.urn}"; remove them first, or delete with ?purge=true`,
      );
    }
    // The registry forgets the schema first, so no write adds values while they are purged.
    await this.extensions.delete(current.urn);
    await this.refresh(true);
    const purged = holders > 0 ? await this.extensions.purge(current.resourceType, current.urn) : 0;
    await this.extensions.dropIndexes(extensionIndexes(toExtension(current)));
    this.logger.log({ urn: current.urn, purged }, 'Removed an extension schema.');
    return { purged };
  }

  private async row(urn: string): Promise<SchemaExtensionRow> {
    assertExtensionUrn(urn);
    const found = (await this.extensions.list()).find((r) => r.urn.toLowerCase() === urn.toLowerCase());
    if (!found) {
      if (this.registry.isBuiltIn(urn))
        throw ScimError.badRequest('mutability', `"${urn}" is built in and cannot be changed`);
      throw ScimError.notFound(`No registered extension schema "${urn}"`);
    }
    return found;
  }

  private view(row: SchemaExtensionRow): SchemaExtensionView {
    return {
      id: row.urn,
      resourceType: row.resourceType,
      required: row.required,
      name: row.schema.name,
      description: row.schema.description,
      attributes: row.schema.attributes,
      version: row.version,
      created: row.created.toISOString(),
      lastModified: row.lastModified.toISOString(),
      indexes: extensionIndexes(toExtension(row)).map((i) => i.name),
    };
  }

  /** Remembers (in `settings`, for every instance) an unregistered URN kept under `store`. */
  private noteStored(resourceType: ResourceTypeName, urn: string): void {
    const key = `${resourceType} ${urn.toLowerCase()}`;
    if (this.openSeen.has(key) || this.openSeen.size >= OPEN_EXTENSIONS) return;
    this.openSeen.add(key);
    this.extensions
      .addOpenExtension(resourceType, urn, OPEN_EXTENSIONS)
      .then(() => this.extensions.openExtensions())
      .then((open) => this.registry.setOpenExtensions(open))
      .catch((error: unknown) => {
        this.openSeen.delete(key);
        this.logger.warn({ urn, err: String(error) }, 'Could not record an open extension.');
      });
  }

  private readonly indexSkipped = (index: { name: string }, error: unknown): void =>
    this.logger.warn(
      { index: index.name, err: String(error) },
      'Could not build an extension index; the attribute works without it (PUT the schema again to retry the build).',
    );

  private noteIgnored(urn: string): void {
    const known = this.ignoredAt.has(urn) || this.ignoredAt.size < IGNORED_LABELS;
    // Beyond the named ones, every other URN shares one label and one hourly log line.
    const label = known ? urn : 'other';
    this.ignored.inc({ urn: label });
    const now = Date.now();
    const last = this.ignoredAt.get(label);
    if (last !== undefined && now - last < IGNORED_LOG_INTERVAL_MS) return;
    this.ignoredAt.set(label, now);
    this.logger.warn(
      { urn },
      `Ignored the attributes of the unregistered extension "${urn}" (SCHEMA_UNKNOWN_EXTENSIONS=ignore); ` +
        'register it with POST /admin/schemas to keep them. Logged once per hour per URN.',
    );
  }
}
