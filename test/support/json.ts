/** Every path in a JSON value whose value is null or undefined (SCIM documents must omit those). */
export function nullPaths(value: unknown, path = '$'): string[] {
  if (value === null || value === undefined) {
    return [path];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => nullPaths(item, `${path}[${i}]`));
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => nullPaths(v, `${path}.${k}`));
  }
  return [];
}
