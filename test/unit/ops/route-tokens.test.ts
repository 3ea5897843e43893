import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type CliIo, runCli } from '../../../ops/main';
import { addRouteTokens, newRouteToken } from '../../../ops/route-tokens';
import { parseStackConfig } from '../../../shared/deployment/stack-config';
import { ROUTE_TOKEN_PATTERN } from '../../../shared/sources/source-config';

/**
 * `signup-sync route-tokens` (ops/route-tokens.ts): gives each webhook source in cdk.json a route token
 * once, editing the file in place, so its URL cannot be guessed and stays the same on every deploy.
 */

const CDK_JSON = `{
  "app": "npx tsx infra/app.ts",
  "context": {
    "cli-telemetry": false,
    "signupSync": {
      "storeHash": "abc123",
      "sources": [
        { "id": "newsletter", "kind": "html-form", "allowedOrigins": ["https://www.example.com"],
          "thankYouUrl": "https://www.example.com/thanks", "errorUrl": "https://www.example.com/oops",
          "captcha": { "provider": "turnstile" } },
        { "id": "shop", "kind": "shopify" },
        {
          "id": "kit",
          "kind": "kit",
          "lastNamePolicy": { "placeholder": "-" }
        },
        { "id": "tally", "kind": "tally", "routeToken": "existingtoken0000001" }
      ]
    }
  }
}
`;

let counter = 0;
const tokens = () => {
  counter += 1;
  return `generatedtoken${String(counter).padStart(6, '0')}`;
};

describe('adding route tokens to cdk.json', () => {
  it('gives each webhook source without one a token, in place, keeping the rest of the file as it was', () => {
    // Act
    const result = addRouteTokens(CDK_JSON, tokens);

    // Assert
    expect(result.added).toEqual(['shop', 'kit']);
    const parsed = JSON.parse(result.text) as { context: { signupSync: { sources: { id: string; routeToken?: string }[] } } };
    const byId = Object.fromEntries(parsed.context.signupSync.sources.map((source) => [source.id, source.routeToken]));
    expect(byId).toEqual({
      newsletter: undefined,
      shop: expect.stringMatching(ROUTE_TOKEN_PATTERN),
      kit: expect.stringMatching(ROUTE_TOKEN_PATTERN),
      tally: 'existingtoken0000001',
    });
    // In place: an inline object stays inline, a multi-line one gets a line of its own, nothing else moves.
    expect(result.text).toContain(`{ "id": "shop", "routeToken": "${byId['shop']}", "kind": "shopify" }`);
    expect(result.text).toContain(`          "id": "kit",\n          "routeToken": "${byId['kit']}",\n          "kind": "kit",`);
    expect(result.text.split('\n')).toHaveLength(CDK_JSON.split('\n').length + 1);
    // The result is a deployable configuration.
    expect(() => parseStackConfig(parsed.context.signupSync)).not.toThrow();
    expect(result.paths).toEqual([
      { id: 'newsletter', kind: 'html-form', path: '/sources/newsletter' },
      { id: 'shop', kind: 'shopify', path: `/sources/shop-${byId['shop']}` },
      { id: 'kit', kind: 'kit', path: `/sources/kit-${byId['kit']}` },
      { id: 'tally', kind: 'tally', path: '/sources/tally-existingtoken0000001' },
    ]);
  });

  it('changes nothing the second time: a URL a sender was given survives every run and every deploy', () => {
    const once = addRouteTokens(CDK_JSON, tokens).text;
    const twice = addRouteTokens(once, tokens);
    expect(twice.added).toEqual([]);
    expect(twice.text).toBe(once);
  });

  it('generates 20 random letters and digits', () => {
    const generated = new Set(Array.from({ length: 50 }, () => newRouteToken()));
    expect(generated.size).toBe(50);
    for (const token of generated) expect(token).toMatch(/^[a-z0-9]{20}$/);
  });
});

describe('the command', () => {
  it('edits the given cdk.json and prints every path and what to do next', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'route-tokens-'));
    try {
      const file = path.join(dir, 'cdk.json');
      writeFileSync(file, CDK_JSON);
      const out: string[] = [];
      const io: CliIo = {
        out: (text) => out.push(text),
        err: () => undefined,
        progress: { isTTY: false, write: () => undefined },
        interactive: false,
        ask: async () => '',
        env: {},
      };

      expect(await runCli(['route-tokens', '--cdk-json', file], io)).toBe(0);

      const written = readFileSync(file, 'utf8');
      expect(written).not.toBe(CDK_JSON);
      expect(out.join('\n')).toMatch(/Added a routeToken to shop, kit in .*cdk\.json/);
      expect(out.join('\n')).toMatch(/shop +\/sources\/shop-[a-z0-9]{20}/);
      expect(out.join('\n')).toMatch(/Next: cdk deploy, then give each sender its new URL/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
