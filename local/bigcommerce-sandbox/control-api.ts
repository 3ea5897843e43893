import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { SandboxOptionsError, SandboxSeedError } from './errors';
import { type ApiResponse, json, parseJson, readBody, writeResponse } from './http';
import { type BigCommerceSandbox, faultConfigSchema, type MutableSandboxOptions, rateLimitSchema, type SandboxCustomer, storeSetupSchema } from './types';

// `/__sandbox/*`: no auth, not rate-limited, not counted in stats, so other processes (CLI users, the
// local-mode status page, benchmarks) can drive a sandbox they did not start. Loopback use only.

const MAX_BODY_BYTES = 10 * 1024 * 1024;

// RegExp cannot travel as JSON: the pattern comes as its source (plus optional flags); null clears it.
const optionsBodySchema = z.strictObject({
  batch422: z.enum(['atomic', 'partial']).optional(),
  vague422: z.boolean().optional(),
  shuffleResponses: z.boolean().optional(),
  rateLimit: z.union([rateLimitSchema, z.literal(false)]).optional(),
  timeScale: z.number().positive().optional(),
  rejectEmails: z.string().min(1).nullable().optional(),
  rejectEmailsFlags: z
    .string()
    .regex(/^[imsu]*$/, 'only i, m, s, u')
    .optional(),
});

const tokensBodySchema = z.strictObject({
  tokens: z.array(z.string().min(1)).min(1),
  readOnlyTokens: z.array(z.string().min(1)).optional(),
});

// Loose on purpose: seeding is a test tool; the store fills in defaults and refuses clashing emails.
const seedBodySchema = z.array(
  z.looseObject({
    id: z.int().positive().optional(),
    email: z.string().min(1).optional(),
    channel_ids: z.array(z.int()).min(1).nullable().optional(),
  }),
);

const attributesBodySchema = z.array(z.object({ name: z.string().min(1).max(255), type: z.enum(['string', 'number', 'date']) }));

function badRequest(error: string, issues: string[] = []): ApiResponse {
  return json(400, { error, issues });
}

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`);
}

function toOptions(body: z.infer<typeof optionsBodySchema>): MutableSandboxOptions {
  const { rejectEmails, rejectEmailsFlags, ...rest } = body;
  const options: MutableSandboxOptions = { ...rest };
  if (rejectEmails === null) options.rejectEmails = undefined;
  if (typeof rejectEmails === 'string') {
    try {
      options.rejectEmails = new RegExp(rejectEmails, rejectEmailsFlags ?? '');
    } catch (error) {
      throw new SandboxOptionsError('Invalid rejectEmails pattern', [(error as Error).message]);
    }
  }
  return options;
}

async function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; response: ApiResponse }> {
  const body = await readBody(req, MAX_BODY_BYTES);
  if (!body.ok) return { ok: false, response: badRequest(`body ${body.reason}`) };
  if (body.text.trim() === '') return { ok: true, value: {} };
  const parsed = parseJson(body.text);
  return parsed.ok ? parsed : { ok: false, response: badRequest('body is not valid JSON') };
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown): { ok: true; value: T } | { ok: false; response: ApiResponse } {
  const parsed = schema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, response: badRequest('invalid body', issuesOf(parsed.error)) };
}

type ControlHandler = (sandbox: BigCommerceSandbox, body: unknown, query: URLSearchParams) => ApiResponse;

const GET_ROUTES: Record<string, ControlHandler> = {
  health: (s) => json(200, { ok: true, url: s.url, storeHash: s.storeHash }),
  customers: (s) => json(200, { data: s.customers() }),
  // Newsletter subscribers with their consents, without the store hash and token /v3/customers/subscribers needs.
  subscribers: (s) => json(200, { data: s.subscribers() }),
  attributes: (s) => json(200, { data: s.attributes() }),
  // The sandbox's own test token, for tools pointed at a local mode they did not start (signup-sync doctor).
  token: (s) => json(200, { token: s.token }),
  stats: (s, _body, query) => {
    const log = query.get('log');
    if (log !== null && !/^\d+$/.test(log)) return badRequest('log must be a non-negative integer');
    return json(200, s.stats(log === null ? {} : { logLimit: Number(log) }));
  },
};

const POST_ROUTES: Record<string, ControlHandler> = {
  faults: (s, body) => {
    const parsed = parseWith(faultConfigSchema, body);
    if (!parsed.ok) return parsed.response;
    s.setFaults(parsed.value);
    return json(200, { ok: true });
  },
  options: (s, body) => {
    const parsed = parseWith(optionsBodySchema, body);
    if (!parsed.ok) return parsed.response;
    s.setOptions(toOptions(parsed.value));
    return json(200, { ok: true });
  },
  tokens: (s, body) => {
    const parsed = parseWith(tokensBodySchema, body);
    if (!parsed.ok) return parsed.response;
    s.setTokens(parsed.value.tokens, parsed.value.readOnlyTokens);
    return json(200, { ok: true, token: s.token });
  },
  seed: (s, body) => {
    const parsed = parseWith(seedBodySchema, body);
    if (!parsed.ok) return parsed.response;
    return json(200, { data: s.seedCustomers(parsed.value as Partial<SandboxCustomer>[]) });
  },
  attributes: (s, body) => {
    const parsed = parseWith(attributesBodySchema, body);
    if (!parsed.ok) return parsed.response;
    return json(200, { data: s.seedAttributes(parsed.value) });
  },
  store: (s, body) => {
    const parsed = parseWith(storeSetupSchema, body);
    if (!parsed.ok) return parsed.response;
    s.setStore(parsed.value);
    return json(200, { ok: true });
  },
  reset: (s) => {
    s.reset();
    return json(200, { ok: true });
  },
};

export async function handleControlRequest(req: IncomingMessage, res: ServerResponse, url: URL, sandbox: BigCommerceSandbox): Promise<void> {
  const name = url.pathname.replace(/^\/__sandbox\/?/, '').replace(/\/$/, '');
  const method = req.method ?? 'GET';
  // hasOwn: a name such as "toString" must not reach Object.prototype.
  const routes = method === 'GET' ? GET_ROUTES : method === 'POST' ? POST_ROUTES : {};
  const handler = Object.hasOwn(routes, name) ? routes[name] : undefined;
  if (handler === undefined) {
    const known = Object.hasOwn(GET_ROUTES, name) || Object.hasOwn(POST_ROUTES, name);
    writeResponse(
      res,
      known ? json(405, { error: `${method} not allowed on /__sandbox/${name}` }) : json(404, { error: `unknown control route /__sandbox/${name}` }),
    );
    return;
  }
  let body: unknown;
  if (method === 'POST') {
    const read = await readJson(req);
    if (!read.ok) {
      writeResponse(res, read.response);
      return;
    }
    body = read.value;
  }
  try {
    writeResponse(res, handler(sandbox, body, url.searchParams));
  } catch (error) {
    if (error instanceof SandboxOptionsError || error instanceof SandboxSeedError) {
      writeResponse(res, badRequest(error.message, error instanceof SandboxOptionsError ? error.issues : []));
      return;
    }
    throw error;
  }
}
