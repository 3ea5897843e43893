/**
 * The stack outputs that name each source's URL (infra/signup-sync-stack.ts declares them,
 * `signup-sync doctor` compares cdk.json with them): `SourceUrl` + the id in PascalCase
 * (`shop-main` -> SourceUrlShopMain). CloudFormation keys are alphanumeric, so an id that collides with
 * an earlier one gets its position appended.
 */
export function sourceOutputKeys<T extends Readonly<{ id: string }>>(sources: readonly T[]): [string, T][] {
  const used = new Set<string>();
  return sources.map((source, index) => {
    const base = `SourceUrl${source.id
      .split('-')
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join('')}`;
    const key = used.has(base) ? `${base}${index}` : base;
    used.add(key);
    return [key, source];
  });
}
