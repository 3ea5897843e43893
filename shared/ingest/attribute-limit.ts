import { type FieldProblem, toJsonPointer } from '../http-input/problem-document';
import type { Signup } from '../signup/signup-schema';

/**
 * BigCommerce takes at most 10 `attributes` per customer (customer_Post.attributes maxItems 10). The sync
 * turns each custom field whose name the stack's customFieldMap maps to an attribute into one, so a
 * signup with more would pass the ingest and fail at BigCommerce: it is refused here instead, with a
 * field error (docs/trust.md, "Smaller holes").
 */
export const MAX_CUSTOMER_ATTRIBUTES = 10;

/** The problem of one signup (`/custom_fields`, prefixed with its index in a batch), or none. */
export function attributeLimitProblems(signup: Signup, attributeFields: ReadonlySet<string>, prefix: readonly PropertyKey[] = []): FieldProblem[] {
  return limitProblems(signup.custom_fields ?? [], attributeFields, prefix);
}

/**
 * The same limit on a candidate the schema refused for other fields (shared/ingest/check-signups.ts), so
 * one answer names every bad field; its custom fields are read as the schema would keep them (trimmed names).
 */
export function attributeLimitProblemsOfCandidate(
  candidate: unknown,
  attributeFields: ReadonlySet<string>,
  prefix: readonly PropertyKey[] = [],
): FieldProblem[] {
  const fields = typeof candidate === 'object' && candidate !== null ? (candidate as Readonly<Record<string, unknown>>)['custom_fields'] : undefined;
  if (!Array.isArray(fields)) return [];
  const named = fields.flatMap((field: unknown) => {
    const name = typeof field === 'object' && field !== null ? (field as Readonly<Record<string, unknown>>)['name'] : undefined;
    return typeof name === 'string' ? [{ name: name.trim() }] : [];
  });
  return limitProblems(named, attributeFields, prefix);
}

function limitProblems(fields: readonly Readonly<{ name: string }>[], attributeFields: ReadonlySet<string>, prefix: readonly PropertyKey[]): FieldProblem[] {
  if (attributeFields.size === 0) return [];
  const count = fields.filter((field) => attributeFields.has(field.name)).length;
  if (count <= MAX_CUSTOMER_ATTRIBUTES) return [];
  return [
    {
      path: toJsonPointer([...prefix, 'custom_fields']),
      message: `${count} custom fields map to customer attributes; BigCommerce accepts at most ${MAX_CUSTOMER_ATTRIBUTES} per customer`,
    },
  ];
}

/** The custom field names customFieldMap sends to customer attributes (the ingest's CUSTOM_ATTRIBUTE_FIELDS). */
export function attributeFieldsOf(customFieldMap: Readonly<Record<string, Readonly<{ attribute: string } | { formField: string }>>>): string[] {
  return Object.entries(customFieldMap)
    .filter(([, target]) => 'attribute' in target)
    .map(([name]) => name)
    .sort();
}
