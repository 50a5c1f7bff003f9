import { Injectable } from '@nestjs/common';
import { ScimError } from '@roster/scim';
import { ListRequest } from '../common/list-query';
import { LIST_RESPONSE_SCHEMA, ListResponse } from '../common/paging';
import { GroupsService } from '../groups/groups.service';
import { UsersService } from '../users/users.service';

const SKIPPABLE = new Set(['invalidFilter', 'invalidPath', 'invalidValue']);

interface Source {
  list(request: ListRequest): Promise<ListResponse>;
}

/**
 * `POST /v2/.search` (RFC 7644 §3.4.3): one SearchRequest over Users, then Groups. The
 * resources of a type come in that type's order (its sortBy, or creation); `startIndex` and
 * `count` page through Users followed by Groups. A filter or sortBy naming an attribute a type
 * does not have matches nothing of that type (`userName eq "x"` finds users only); one that no
 * type understands is the client's 400. Reads go through the same services as the per-type
 * endpoints. Cursors are per resource type (RFC 9865): the root pages by `startIndex` only.
 */
@Injectable()
export class RootSearchService {
  constructor(
    private readonly users: UsersService,
    private readonly groups: GroupsService,
  ) {}

  async search(request: ListRequest): Promise<ListResponse> {
    if (request.cursor !== undefined) {
      throw ScimError.badRequest(
        'invalidValue',
        'A search at the root pages by startIndex; cursors are per resource type (POST /v2/Users/.search, /v2/Groups/.search).',
      );
    }
    const sources: Source[] = [this.users, this.groups];
    const totals: (number | undefined)[] = [];
    let refusal: unknown;
    for (const source of sources) {
      try {
        totals.push((await source.list({ ...request, count: 0 })).totalResults);
      } catch (error) {
        // What a type cannot compile (an attribute it lacks) is skipped; anything else, such as a
        // filter too expensive to count (tooMany), is the answer, not a silently partial list.
        if (!(error instanceof ScimError) || !SKIPPABLE.has(error.scimType ?? '')) {
          throw error;
        }
        refusal ??= error;
        totals.push(undefined);
      }
    }
    if (totals.every((t) => t === undefined)) {
      throw refusal;
    }
    const resources: Record<string, unknown>[] = [];
    let skip = request.startIndex - 1;
    for (const [i, source] of sources.entries()) {
      const total = totals[i];
      const wanted = request.count - resources.length;
      if (total === undefined || wanted <= 0) {
        continue;
      }
      if (skip >= total) {
        skip -= total;
        continue;
      }
      const page = await source.list({ ...request, startIndex: skip + 1, count: wanted });
      resources.push(...page.Resources);
      skip = 0;
    }
    return {
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults: totals.reduce<number>((sum, t) => sum + (t ?? 0), 0),
      itemsPerPage: resources.length,
      startIndex: request.startIndex,
      Resources: resources,
    };
  }
}
