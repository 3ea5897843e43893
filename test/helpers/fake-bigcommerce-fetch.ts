/** A scripted stand-in for `fetch` (unit tests). Integration-level tests use the real sandbox server. */
export type RecordedRequest = Readonly<{ method: string; url: string; token: string | null; body: unknown }>;
export type FakeResponse = Readonly<{ status: number; body?: unknown; headers?: Record<string, string> }>;
export type Responder = (request: RecordedRequest) => FakeResponse | Promise<FakeResponse>;

/** Echoes a POST/PUT as a 200 with ids, like BigCommerce's create. */
export const echoCustomers: Responder = (request) => {
  if (request.method === 'GET') return { status: 200, body: { data: [], meta: { pagination: { total_pages: 1 } } } };
  const customers = request.body as { email: string }[];
  return { status: 200, body: { data: customers.map((customer, index) => ({ id: 1000 + index, ...customer })), meta: {} } };
};

export function fakeFetch(responder: Responder = echoCustomers) {
  const requests: RecordedRequest[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    const request: RecordedRequest = {
      method: init?.method ?? 'GET',
      url: String(input),
      token: headers.get('x-auth-token'),
      body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined,
    };
    requests.push(request);
    const answer = await responder(request);
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json', ...answer.headers },
    });
  }) as typeof fetch;
  return { fetch: fetchFn, requests, posts: () => requests.filter((request) => request.method === 'POST') };
}
