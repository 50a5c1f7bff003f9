import { Inject, Injectable, Logger } from '@nestjs/common';
import { isUniqueViolation } from '@roster/db';
import { parseAttributeList, ResourceTypeName, SchemaRegistry, ScimError } from '@roster/scim';
import { Projected } from '../common/list-query';
import { APP_CONFIG, AppConfig } from '../config';
import { GroupsService } from '../groups/groups.service';
import { UsersService } from '../users/users.service';
import { Applied, BulkExecutor, BulkJob, BulkOperationResult, ResolvedOperation } from './bulk-job';
import { BulkReferences } from './bulk-references';
import { BULK_RESPONSE_SCHEMA, BulkOperation, parseBulkRequest } from './bulk-request';
import { extensionConflict } from '../schemas/extension-conflict';

export interface BulkResponse {
  schemas: string[];
  Operations: BulkOperationResult[];
}

/**
 * A bulk answer carries locations and versions, not representations (RFC 7644 §3.7.3), so the
 * services render as little as they can: no group memberships, no manager names, no members.
 */
const ID_ONLY: Projected = { attributes: parseAttributeList('id') };

/**
 * POST /Bulk (RFC 7644 §3.7). Every operation is one call of UsersService or GroupsService, the
 * same calls the REST endpoints make, so Bulk validates, checks versions and writes exactly as
 * they do: one write path.
 */
@Injectable()
export class BulkService implements BulkExecutor {
  private readonly logger = new Logger('Bulk');
  private readonly references: BulkReferences;

  constructor(
    private readonly users: UsersService,
    private readonly groups: GroupsService,
    private readonly registry: SchemaRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.references = new BulkReferences(registry);
  }

  async process(body: unknown): Promise<BulkResponse> {
    const request = parseBulkRequest(body, { maxOperations: this.config.bulk.maxOperations });
    const results = await new BulkJob(request, this.references, this).run();
    return { schemas: [BULK_RESPONSE_SCHEMA], Operations: results };
  }

  async execute(operation: ResolvedOperation): Promise<Applied> {
    const { method, id = '', data = {}, version } = operation;
    if (operation.resourceType === 'User') {
      switch (method) {
        case 'POST':
          return applied(await this.users.create(data, ID_ONLY));
        case 'PUT':
          return applied(await this.users.replace(id, data, version, ID_ONLY));
        case 'PATCH':
          return applied(await this.users.patch(id, data, version, ID_ONLY));
        case 'DELETE':
          await this.users.delete(id, version);
          return { id };
      }
    }
    switch (method) {
      case 'POST':
        return applied(await this.groups.create(data, ID_ONLY));
      case 'PUT':
        return applied(await this.groups.replace(id, data, version, ID_ONLY));
      case 'PATCH':
        return applied(await this.groups.patch(id, data, version, ID_ONLY));
      case 'DELETE':
        await this.groups.delete(id, version);
        return { id };
    }
  }

  async createUsers(operations: BulkOperation[], maxErrors: number): Promise<(Applied | ScimError)[]> {
    const outcomes = await this.users.createMany(
      operations.map((operation) => operation.data),
      { maxErrors },
    );
    return outcomes.map((outcome, i) =>
      'error' in outcome ? this.failure(outcome.error, operations[i]) : { id: outcome.id, version: outcome.version },
    );
  }

  async remove(resourceType: ResourceTypeName, id: string): Promise<void> {
    await (resourceType === 'User' ? this.users.delete(id, undefined) : this.groups.delete(id, undefined));
  }

  location(resourceType: ResourceTypeName, id: string): string {
    return resourceType === 'User' ? this.users.location(id) : this.groups.location(id);
  }

  /** As the exception filter would answer the operation's own HTTP request, internals withheld. */
  failure(error: unknown, operation: BulkOperation): ScimError {
    if (error instanceof ScimError) {
      return error;
    }
    if (isUniqueViolation(error)) {
      return (
        extensionConflict(this.registry, error) ??
        ScimError.conflict('A resource with the same unique attribute already exists.')
      );
    }
    this.logger.error(
      { err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) },
      `Bulk operation ${operation.index + 1} (${operation.method} ${operation.path}) failed unexpectedly`,
    );
    return new ScimError(500, `Operation ${operation.index + 1} failed unexpectedly; nothing of it was applied.`);
  }
}

function applied(result: { resource: Record<string, unknown>; version: number }): Applied {
  return { id: String(result.resource.id), version: result.version };
}
