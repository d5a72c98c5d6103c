// Canonical JSON: what the drift hash, Feature cache keys and trust finding keys hash, so that
// equal values hash equally whatever the order of their keys. A leaf module (no imports), so the
// runtime's modules that need it do not import each other for it.

/** JSON with sorted keys, so equal values hash equally. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
