import { uniqueIndexAttribute } from '@roster/db';
import { SchemaRegistry, ScimError } from '@roster/scim';

/** Every message and metadata field along an error's cause chain, where a constraint name may appear. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const e = current as { message?: unknown; meta?: unknown; constraint?: unknown; cause?: unknown };
    if (typeof e.message === 'string') parts.push(e.message);
    if (typeof e.constraint === 'string') parts.push(e.constraint);
    if (e.meta !== undefined) parts.push(JSON.stringify(e.meta));
    current = e.cause;
  }
  return parts.join(' ');
}

/**
 * The 409 for a unique violation of a registered extension attribute (`uniqueness: server`,
 * enforced by its unique expression index), or undefined when another constraint failed.
 */
export function extensionConflict(registry: SchemaRegistry, error: unknown): ScimError | undefined {
  const attribute = uniqueIndexAttribute(registry.customExtensions(), errorText(error));
  return attribute === undefined
    ? undefined
    : ScimError.conflict(`Another resource already has this value of "${attribute}" (its uniqueness is server).`);
}

export function throwIfExtensionConflict(registry: SchemaRegistry, error: unknown): void {
  const conflict = extensionConflict(registry, error);
  if (conflict) throw conflict;
}
