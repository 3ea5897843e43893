import { readFileSync } from 'node:fs';
import { buildOpenApiDocument, renderOpenApiDocument } from '../../shared/http/openapi';
import { INGEST_ROUTES } from '../../shared/http/routes';
import { OPENAPI_PATH } from '../tools/write-openapi';

/** docs/openapi.json is generated from the zod schemas and the route table; it must not drift from them. */

type Operation = { responses: Record<string, { $ref?: string; content?: Record<string, unknown> }>; requestBody?: { content: Record<string, unknown> } };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

describe('OpenAPI document', () => {
  it('is committed exactly as generated (run `npm run openapi` after changing a schema or a route)', () => {
    // Arrange
    const committed = readFileSync(OPENAPI_PATH, 'utf8');

    // Act
    const generated = renderOpenApiDocument();

    // Assert
    expect(committed).toBe(generated);
  });

  it('describes every route of the route table with its answers', () => {
    // Arrange / Act
    const document = buildOpenApiDocument() as unknown as Document;

    // Assert
    expect(document.openapi).toBe('3.1.0');
    for (const route of INGEST_ROUTES) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation).toBeDefined();
      if (route.target === 'confirm') {
        // A person's browser, not a sender: an expired or withdrawn link is answered 410 with a page that says so.
        expect(Object.keys(operation!.responses)).toEqual(expect.arrayContaining(['200', '404', '410', '500', '503']));
        expect(operation!.responses['410']).toMatchObject({ content: { 'text/html': expect.anything() } });
        continue;
      }
      // Senders disable webhooks that answer 404 or 410 (docs/sources.md): no sender route documents either.
      expect(Object.keys(operation!.responses)).toEqual(expect.arrayContaining(['401', '500', '503']));
      expect(Object.keys(operation!.responses)).not.toEqual(expect.arrayContaining(['404']));
      expect(Object.keys(operation!.responses)).not.toEqual(expect.arrayContaining(['410']));
    }
    const post = document.paths['/signups']!['post']!;
    expect(Object.keys(post.responses).sort()).toEqual(['202', '400', '401', '409', '413', '415', '422', '500', '503']);
    expect(Object.keys(document.paths['/sources/{sourceId}']!['post']!.requestBody!.content).sort()).toEqual(
      ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'].sort(),
    );
  });

  it('takes the signup schema from zod, with the limits and the new fields', () => {
    type ObjectSchema = {
      properties: Record<string, { maxLength?: number; format?: string; const?: unknown; properties?: Record<string, unknown> }>;
      required: string[];
      additionalProperties: boolean;
    };
    const { schemas } = (buildOpenApiDocument() as unknown as Document).components;
    const signup = schemas['SignupDetails'] as ObjectSchema;
    const optOut = schemas['OptOut'] as ObjectSchema;
    // A signup is either the details or an opt-out, which carries nothing else (the schema's refinement).
    expect(schemas['Signup']).toEqual({ anyOf: [{ $ref: '#/components/schemas/SignupDetails' }, { $ref: '#/components/schemas/OptOut' }] });
    expect(Object.keys(optOut.properties).sort()).toEqual(['email', 'event_id', 'occurred_at', 'opt_out']);
    expect(optOut.properties['opt_out']).toMatchObject({ const: true });
    expect(optOut.required.sort()).toEqual(['email', 'opt_out']);
    expect(optOut.additionalProperties).toBe(false);
    // Names are optional since schema version 2 (the nameless policy decides: docs/subscribers.md).
    expect(signup.required.sort()).toEqual(['email']);
    expect((signup as unknown as { anyOf: unknown[] }).anyOf).toEqual([
      { required: ['first_name', 'last_name'] },
      expect.objectContaining({ required: ['consent'] }),
    ]);
    expect(signup.properties['opt_out']).toBeUndefined();
    expect(signup.additionalProperties).toBe(false);
    expect(signup.properties['email']).toMatchObject({ format: 'email', maxLength: 250 });
    expect(signup.properties['occurred_at']).toMatchObject({ format: 'date-time' });
    expect(Object.keys(signup.properties['consent']!.properties!).sort()).toEqual(['abandoned_cart', 'marketing']);
  });
});
