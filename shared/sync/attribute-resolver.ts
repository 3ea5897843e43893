import type { ApiResult, RequestOptions } from '../bigcommerce/client';
import type { CustomerAttribute } from '../bigcommerce/customer';
import type { AttributeIds, CustomFieldMap } from './customer-mapping';

export class MissingAttributeError extends Error {
  readonly retryable = false;
  constructor(readonly missing: readonly string[]) {
    super(`Customer attribute(s) not found in the store: ${missing.join(', ')}. Create them in BigCommerce or fix CUSTOM_FIELD_MAP.`);
    this.name = 'MissingAttributeError';
  }
}

export interface AttributeApi {
  findAttributesByName(names: readonly string[], options?: RequestOptions): Promise<ApiResult<CustomerAttribute[]>>;
}

/**
 * Resolves the attribute names in the custom-field map to ids once per container (attributes are
 * store configuration and change rarely). A missing attribute is a configuration error, never a silent drop.
 */
export function createAttributeResolver(api: AttributeApi, map: CustomFieldMap): () => Promise<AttributeIds> {
  const names = [...new Set(Object.values(map).flatMap((target) => ('attribute' in target ? [target.attribute] : [])))];
  let resolved: AttributeIds | undefined;
  return async () => {
    if (resolved) return resolved;
    if (names.length === 0) {
      resolved = new Map();
      return resolved;
    }
    const { data } = await api.findAttributesByName(names);
    const ids = new Map(data.map((attribute) => [attribute.name, attribute.id]));
    const missing = names.filter((name) => !ids.has(name));
    if (missing.length > 0) throw new MissingAttributeError(missing);
    resolved = ids;
    return ids;
  };
}
