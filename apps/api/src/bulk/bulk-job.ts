import { PATCH_OP_SCHEMA, ResourceTypeName, ScimError } from '@roster/scim';
import { BulkReferences, FoundReference } from './bulk-references';
import { BulkMethod, BulkOperation, BulkRequest, BulkTarget, parseTarget } from './bulk-request';

/** One operation with its references resolved: exactly what a single REST request would carry. */
export interface ResolvedOperation {
  method: BulkMethod;
  resourceType: ResourceTypeName;
  /** Absent for POST. */
  id?: string;
  data?: Record<string, unknown>;
  /** The If-Match value. */
  version?: string;
}

export interface Applied {
  id: string;
  /** Absent after DELETE. */
  version?: number;
}

/** What a job needs from the services; BulkService provides it, so the job itself does no I/O. */
export interface BulkExecutor {
  execute(operation: ResolvedOperation): Promise<Applied>;
  /**
   * Creates users in request order, in as few database round trips as it can. Stops after
   * `maxErrors` failures: the answer then ends at the failure that reached it.
   */
  createUsers(operations: BulkOperation[], maxErrors: number): Promise<(Applied | ScimError)[]>;
  /** Undoes a create whose operation failed after all (see `complete`). */
  remove(resourceType: ResourceTypeName, id: string): Promise<void>;
  location(resourceType: ResourceTypeName, id: string): string;
  /** Any failure as the SCIM error its operation reports. */
  failure(error: unknown, operation: BulkOperation): ScimError;
}

/** One entry of a BulkResponse (RFC 7644 §3.7.3); `status` is a string, as in the RFC's examples. */
export interface BulkOperationResult {
  method: BulkMethod;
  bulkId?: string;
  location?: string;
  version?: string;
  status: string;
  response?: ReturnType<ScimError['toJSON']>;
}

type State =
  /** Not looked at yet. */
  | 'pending'
  /** On the stack of `settle`: waiting for the operations it references. */
  | 'visiting'
  /** Created without its circular references, which a PATCH adds once their targets exist. */
  | 'created'
  | 'done'
  | 'failed';

interface Step {
  operation: BulkOperation;
  target: BulkTarget | ScimError;
  /** The references in the data (not the path); empty when the data cannot be read. */
  references: FoundReference[];
  /** Why the data cannot be read (a malformed PatchOp body, say): the operation fails with it. */
  invalid?: ScimError;
  /** The POSTs whose resources this operation names, in the order it names them. */
  needs: Step[];
  /** bulkIds that no POST of this request has. */
  unknown: string[];
  state: State;
  id?: string;
  version?: number;
  /** The targets whose references were left out of the create (RFC 7644 §3.7.1), and those references. */
  deferred?: { targets: Set<Step>; references: FoundReference[] };
  result?: BulkOperationResult;
}

const STATUS: Record<BulkMethod, number> = { POST: 201, PUT: 200, PATCH: 200, DELETE: 204 };

/**
 * Runs one BulkRequest. Operations run in request order, except that a POST whose bulkId an
 * operation references runs just before that operation (RFC 7644 §3.7.2: references resolve in
 * any order). Each operation is one call of a service, so each is atomic on its own.
 *
 * Circular references (RFC 7644 §3.7.1): when an operation references a POST that is itself
 * waiting for it, the operation is created without those references, and a PATCH adds them once
 * the targets exist; users whose managers refer to each other end up exactly as requested. Groups
 * that would contain each other cannot: the operation that would close the cycle fails with 409,
 * and nothing of it is written.
 *
 * Consecutive creations of users with no references run as one batch (`createUsers`).
 */
export class BulkJob {
  private readonly steps: Step[];
  private readonly posts = new Map<string, Step>();
  private readonly created: Step[] = [];
  private readonly failOnErrors: number | undefined;
  private errors = 0;
  private stopped = false;

  constructor(
    request: BulkRequest,
    private readonly references: BulkReferences,
    private readonly executor: BulkExecutor,
  ) {
    this.failOnErrors = request.failOnErrors;
    this.steps = request.operations.map((operation) => this.step(operation));
    for (const step of this.steps) {
      if (step.operation.method === 'POST' && step.operation.bulkId !== undefined) {
        this.posts.set(step.operation.bulkId, step);
      }
    }
    for (const step of this.steps) {
      this.link(step);
    }
  }

  /** The answers of the operations that ran, in request order. */
  async run(): Promise<BulkOperationResult[]> {
    for (let i = 0; i < this.steps.length && !this.stopped; i++) {
      const step = this.steps[i];
      if (step.state !== 'pending') {
        continue;
      }
      if (!this.batchable(step)) {
        await this.settle(step);
        continue;
      }
      const batch = [step];
      for (let j = i + 1; j < this.steps.length; j++) {
        const next = this.steps[j];
        if (next.state !== 'pending') {
          continue;
        }
        if (!this.batchable(next)) {
          break;
        }
        batch.push(next);
      }
      await this.createBatch(batch);
    }
    if (this.stopped) {
      await this.abandon();
    }
    return this.steps.flatMap((step) =>
      (step.state === 'done' || step.state === 'failed') && step.result ? [step.result] : [],
    );
  }

  private step(operation: BulkOperation): Step {
    const target = parseTarget(operation);
    const step: Step = { operation, target, references: [], needs: [], unknown: [], state: 'pending' };
    if (target instanceof ScimError || operation.data === undefined || operation.method === 'DELETE') {
      return step;
    }
    try {
      step.references = this.references.collect(target.resourceType, operation.method, operation.data);
    } catch (error) {
      if (!(error instanceof ScimError)) {
        throw error;
      }
      step.invalid = error;
    }
    return step;
  }

  private link(step: Step): void {
    const target = step.target;
    const bulkIds = [
      ...(target instanceof ScimError || target.bulkIdRef === undefined ? [] : [target.bulkIdRef]),
      ...step.references.map((r) => r.bulkId),
    ];
    for (const bulkId of bulkIds) {
      const post = this.posts.get(bulkId);
      if (!post) {
        if (!step.unknown.includes(bulkId)) {
          step.unknown.push(bulkId);
        }
      } else if (!step.needs.includes(post)) {
        step.needs.push(post);
      }
    }
  }

  /** A create of a user that names no other operation: it can join a batch. */
  private batchable(step: Step): boolean {
    return (
      step.operation.method === 'POST' &&
      !(step.target instanceof ScimError) &&
      step.target.resourceType === 'User' &&
      step.invalid === undefined &&
      step.needs.length === 0 &&
      step.unknown.length === 0
    );
  }

  /**
   * Runs `root` after what it references, depth first. The stack is explicit, so a chain of
   * thousands of references (each user managed by the next) cannot overflow the call stack.
   */
  private async settle(root: Step): Promise<void> {
    const stack = [root];
    root.state = 'visiting';
    while (stack.length > 0 && !this.stopped) {
      const step = stack[stack.length - 1];
      const waiting = step.needs.filter((need) => need.state === 'pending');
      if (waiting.length > 0) {
        const batch = waiting.filter((need) => this.batchable(need));
        if (batch.length > 0) {
          await this.createBatch(batch.sort((a, b) => a.operation.index - b.operation.index));
        } else {
          waiting[0].state = 'visiting';
          stack.push(waiting[0]);
        }
        continue;
      }
      stack.pop();
      await this.runStep(step, stack);
      await this.completeDeferred();
    }
  }

  private async runStep(step: Step, stack: Step[]): Promise<void> {
    const { operation, target } = step;
    if (target instanceof ScimError) {
      return this.fail(step, target);
    }
    if (step.invalid) {
      return this.fail(step, step.invalid);
    }
    if (step.unknown.length > 0) {
      return this.fail(step, this.unknownReference(step));
    }
    const failed = step.needs.filter((need) => need.state === 'failed');
    if (failed.length > 0) {
      return this.fail(step, this.failedReference(failed));
    }
    const waiting = step.needs.filter((need) => need.state === 'visiting');
    if (waiting.length > 0) {
      const refusal = this.refuseCycle(step, waiting, stack);
      if (refusal) {
        return this.fail(step, refusal);
      }
      step.deferred = { targets: new Set(waiting), references: [] };
    }
    const deferred = step.deferred;
    const resolve = (reference: FoundReference): string | null => {
      const post = this.posts.get(reference.bulkId) as Step;
      if (deferred?.targets.has(post)) {
        deferred.references.push(reference);
        return null;
      }
      return post.id as string;
    };
    const id = target.bulkIdRef !== undefined ? this.posts.get(target.bulkIdRef)?.id : target.id;
    try {
      let data = operation.data;
      if (data && operation.method !== 'DELETE' && step.references.length > 0) {
        data =
          operation.method === 'PATCH'
            ? this.references.patch(target.resourceType, data, resolve)
            : this.references.resource(target.resourceType, data, resolve);
      }
      const applied = await this.executor.execute({
        method: operation.method,
        resourceType: target.resourceType,
        ...(id !== undefined ? { id } : {}),
        ...(data !== undefined ? { data } : {}),
        ...(operation.version !== undefined ? { version: operation.version } : {}),
      });
      step.id = applied.id;
      step.version = applied.version;
      if (deferred) {
        step.state = 'created';
        this.created.push(step);
      } else {
        this.succeed(step);
      }
    } catch (error) {
      this.fail(step, this.executor.failure(error, operation), id);
    }
  }

  /**
   * Decides about references to operations still waiting on the stack, i.e. a cycle. A POST may
   * leave them out and add them later; but when every link of the cycle makes a group a member of
   * the next, adding the last one would make a group contain itself, which no order of operations
   * can make legal. Then this operation, the one whose reference closes the cycle, fails.
   */
  private refuseCycle(step: Step, waiting: Step[], stack: Step[]): ScimError | undefined {
    if (step.operation.method !== 'POST') {
      // Only POSTs are ever waited for, and a path cannot name what is not created yet.
      return new ScimError(409, 'The operation is part of a circular reference that cannot be resolved.');
    }
    for (const target of waiting) {
      const from = target === step ? stack.length : stack.indexOf(target);
      const chain = [...stack.slice(from), step];
      const links = chain.map((member, i) => [member, chain[i + 1] ?? target] as const);
      if (links.every(([container, member]) => this.contains(container, member))) {
        const names = [...chain, target].map((s) => `bulkId:${s.operation.bulkId ?? ''}`).join(' → ');
        return new ScimError(
          409,
          target === step
            ? `Group bulkId:${step.operation.bulkId ?? ''} lists itself as a member; a group cannot contain itself.`
            : `Circular reference: group bulkId:${step.operation.bulkId ?? ''} would contain group ` +
                `bulkId:${target.operation.bulkId ?? ''}, which already contains it in this request (${names}); ` +
                'a group cannot contain itself, directly or through other groups.',
        );
      }
    }
    return undefined;
  }

  /** `container` is a group that lists the group `member` creates among its members. */
  private contains(container: Step, member: Step): boolean {
    const groups = (s: Step): boolean => !(s.target instanceof ScimError) && s.target.resourceType === 'Group';
    return (
      groups(container) &&
      groups(member) &&
      container.references.some(
        (r) => r.bulkId === member.operation.bulkId && r.site.multiValued && r.site.resourceTypes.includes('Group'),
      )
    );
  }

  /** Finishes the creates whose left-out references can now be added. */
  private async completeDeferred(): Promise<void> {
    for (let i = 0; i < this.created.length && !this.stopped;) {
      const step = this.created[i];
      const targets = [...(step.deferred?.targets ?? [])];
      if (targets.some((t) => t.state === 'pending' || t.state === 'visiting')) {
        i++;
        continue;
      }
      this.created.splice(i, 1);
      await this.complete(step, targets);
      i = 0;
    }
  }

  /**
   * The second half of a circular reference: a PATCH adds what the create left out. If it cannot
   * (a target failed), the operation fails and its create is undone, so it leaves nothing behind.
   */
  private async complete(step: Step, targets: Step[]): Promise<void> {
    const target = step.target as BulkTarget;
    const id = step.id as string;
    const failed = targets.filter((t) => t.state === 'failed');
    if (failed.length > 0) {
      await this.undo(step);
      return this.fail(step, this.failedReference(failed));
    }
    const operations = (step.deferred?.references ?? []).map((reference) => {
      const value = (this.posts.get(reference.bulkId) as Step).id as string;
      const { site } = reference;
      if (reference.bare) {
        return { op: 'replace', path: `${site.attributePath}.value`, value };
      }
      const element = withId(reference.element, value);
      return site.multiValued
        ? { op: 'add', path: site.attributePath, value: [element] }
        : { op: 'replace', path: site.attributePath, value: element };
    });
    try {
      const applied = await this.executor.execute({
        method: 'PATCH',
        resourceType: target.resourceType,
        id,
        data: { schemas: [PATCH_OP_SCHEMA], Operations: operations },
      });
      step.version = applied.version;
      this.succeed(step);
    } catch (error) {
      await this.undo(step);
      this.fail(step, this.executor.failure(error, step.operation));
    }
  }

  private async createBatch(batch: Step[]): Promise<void> {
    const budget = this.failOnErrors === undefined ? Number.POSITIVE_INFINITY : this.failOnErrors - this.errors;
    const outcomes = await this.executor.createUsers(
      batch.map((step) => step.operation),
      budget,
    );
    outcomes.forEach((outcome, i) => {
      const step = batch[i];
      if (outcome instanceof ScimError) {
        this.fail(step, outcome);
      } else {
        step.id = outcome.id;
        step.version = outcome.version;
        this.succeed(step);
      }
    });
  }

  /** failOnErrors was reached: creates still waiting for their second half are undone and not reported. */
  private async abandon(): Promise<void> {
    for (const step of this.created.splice(0)) {
      await this.undo(step);
      step.state = 'pending';
    }
  }

  private async undo(step: Step): Promise<void> {
    const target = step.target as BulkTarget;
    try {
      await this.executor.remove(target.resourceType, step.id as string);
    } catch {
      // Already gone (someone deleted it meanwhile) is what undoing wants anyway.
    }
  }

  private succeed(step: Step): void {
    const { operation } = step;
    const target = step.target as BulkTarget;
    step.state = 'done';
    step.result = {
      method: operation.method,
      ...(operation.bulkId !== undefined ? { bulkId: operation.bulkId } : {}),
      location: this.executor.location(target.resourceType, step.id as string),
      ...(step.version !== undefined && operation.method !== 'DELETE' ? { version: `W/"${step.version}"` } : {}),
      status: String(STATUS[operation.method]),
    };
  }

  private fail(step: Step, error: ScimError, resolvedId?: string): void {
    const { operation, target } = step;
    step.state = 'failed';
    // RFC 7644 §3.7.3: a failed operation has a location, except a failed POST.
    const id = resolvedId ?? (target instanceof ScimError || target.bulkIdRef !== undefined ? undefined : target.id);
    const location =
      operation.method !== 'POST' && id !== undefined && !(target instanceof ScimError)
        ? this.executor.location(target.resourceType, id)
        : undefined;
    step.result = {
      method: operation.method,
      ...(operation.bulkId !== undefined ? { bulkId: operation.bulkId } : {}),
      ...(location !== undefined ? { location } : {}),
      status: String(error.status),
      response: error.toJSON(),
    };
    this.errors++;
    if (this.failOnErrors !== undefined && this.errors >= this.failOnErrors) {
      this.stopped = true;
    }
  }

  private unknownReference(step: Step): ScimError {
    const names = step.unknown.map((b) => `"bulkId:${b}"`).join(', ');
    const other = step.unknown.find((b) => this.steps.some((s) => s.operation.bulkId === b));
    return new ScimError(
      409,
      other !== undefined
        ? `The operation references ${names}, but only a POST's bulkId names a resource it creates (RFC 7644 §3.7.2).`
        : `The operation references ${names}, which no POST operation of this request has.`,
    );
  }

  private failedReference(failed: Step[]): ScimError {
    const names = failed.map((s) => `"bulkId:${s.operation.bulkId ?? ''}"`).join(', ');
    const positions = failed.map((s) => s.operation.index + 1).join(', ');
    return new ScimError(
      409,
      `The operation references ${names}, whose operation (${positions}) failed, so the reference cannot be resolved.`,
    );
  }
}

/** The element of a left-out reference, naming the created resource's id instead. */
function withId(element: unknown, id: string): unknown {
  if (element === null || typeof element !== 'object' || Array.isArray(element)) {
    return id;
  }
  const object = element as Record<string, unknown>;
  const key = Object.keys(object).find((k) => k.toLowerCase() === 'value') ?? 'value';
  return { ...object, [key]: id };
}
