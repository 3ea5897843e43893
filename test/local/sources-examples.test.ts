import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { demoSourceSecrets, demoSources } from '../../local/demo/demo-sources';
import { buildRequest, isSigned, loadExamples, pasteLine, withBase } from '../../local/demo/examples';
import { main as sendExample } from '../../local/demo/send-example';
import { DEFAULT_LOCAL_API_SECRET, type LocalMode, startLocalMode } from '../../local/local-mode';
import { banner, startLine } from '../../local/start';
import { SOURCE_KINDS } from '../../shared/sources/source-config';
import { waitFor } from './support';

jest.setTimeout(60_000);

/**
 * Every example of docs/examples/sources.json (the file docs/sources.md is rendered from and the
 * start banner prints) sent to local mode with the demo sources, as `npm start` serves them: each
 * gets its documented status, and its customer appears in the BigCommerce sandbox.
 */

const examples = loadExamples();

describe('the documented source examples against local mode', () => {
  let mode: LocalMode;

  beforeAll(async () => {
    mode = await startLocalMode({
      sources: demoSources,
      sourceSecrets: demoSourceSecrets(),
      apiSecret: DEFAULT_LOCAL_API_SECRET,
      timings: { batchingWindowMs: 100, visibilityTimeoutSeconds: 20, syncTimeoutMs: 10_000 },
      log: { write: () => undefined },
    });
  });

  afterAll(async () => {
    await mode?.stop();
  });

  it('covers every sender kind, each with its demo source, and the canonical API', () => {
    // Assert
    expect(examples.map((example) => example.kind).sort()).toEqual(['api', ...SOURCE_KINDS].sort());
    const ids = demoSources(mode.apiUrl).map((source) => source.id);
    for (const example of examples.filter((e) => e.kind !== 'api')) expect(ids).toContain(example.sourceId);
    expect(examples.find((example) => example.kind === 'api')?.auth).toMatchObject({ secret: DEFAULT_LOCAL_API_SECRET });
  });

  it.each(examples.map((example) => [example.kind, example] as const))('%s: answers as documented and creates the customer', async (_kind, example) => {
    // Arrange
    const request = buildRequest(example, mode.apiUrl);

    // Act
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual' });
    const text = await response.text();

    // Assert
    expect({ status: response.status, body: text }).toMatchObject({ status: example.expect.status });
    if (example.expect.location) expect(response.headers.get('location')).toBe(withBase(example.expect.location, mode.apiUrl));
    const expected = example.expect.customer;
    if (expected) {
      const customer = await waitFor(() => mode.sandbox!.customers().find((c) => c.email === expected.email), {
        what: `customer ${expected.email}`,
        timeoutMs: 20_000,
      });
      expect(customer).toMatchObject(expected);
    }
  });

  it.each(examples.map((example) => [example.kind, example] as const))(
    '%s: the line to paste (curl, or send-example for signed kinds) gets the documented status',
    async (_kind, example) => {
      // Arrange
      const line = pasteLine(example, mode.apiUrl);

      // Act
      let status: number | undefined;
      if (isSigned(example)) {
        const out: string[] = [];
        const code = await sendExample(line.split(' ').slice(3), (text) => out.push(text));
        status = Number(/-> (\d{3})/.exec(out[0] ?? '')?.[1]);
        expect(code).toBe(0);
      } else {
        const { stdout } = await promisify(execFile)('sh', ['-c', `${line} --silent --show-error`]);
        status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(stdout)?.[1]);
      }

      // Assert
      expect(line.startsWith(isSigned(example) ? 'npx tsx local/demo/send-example.ts ' : 'curl ')).toBe(true);
      expect(status).toBe(example.expect.status);
    },
  );

  it('lists every demo source with its line to paste, and the API token, in the banner and the start line', () => {
    // Act
    const text = banner(mode);
    const line = JSON.parse(startLine(mode)) as { apiToken: string; examples: { kind: string; example: string }[] };

    // Assert
    expect(text).toContain(`Authorization: Bearer ${mode.apiSecret}`);
    expect(line.apiToken).toBe(mode.apiSecret);
    expect(line.examples.map((entry) => entry.kind)).toEqual(examples.map((example) => example.kind));
    for (const example of examples) {
      expect(text).toContain(`# ${example.kind} (${example.sourceId})`);
      expect(text).toContain(pasteLine(example, mode.apiUrl));
    }
  });

  it('counts nothing as refused after the examples', async () => {
    // Assert: no example was refused on the way (a 303 to the form's error page would count too)
    expect((await mode.status()).refusals).toEqual([]);
  });
});
