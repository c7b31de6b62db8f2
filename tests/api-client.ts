/**
 * A REST client for tests, speaking `/api/v1` as a browser does (session cookie + CSRF header) or
 * as an integration does (bearer API token).
 */
// Tests read answers by their documented shape, so bodies are `any` here (and only here).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ApiAnswer = { readonly status: number; readonly body: any; readonly headers: Headers };

export class ApiClient {
  readonly base: string;
  cookie: string | null = null;
  csrf: string | null = null;
  bearer: string | null = null;

  constructor(base: string) {
    this.base = base;
  }

  async request(method: string, path: string, body?: unknown, options: { csrf?: boolean; headers?: Record<string, string>; raw?: string } = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = { ...options.headers };
    if (body !== undefined || options.raw !== undefined) headers['content-type'] ??= 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    if (this.csrf && options.csrf !== false && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    const res = await fetch(`${this.base}${path}`, { method, headers, body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, headers: res.headers, body: type.includes('json') && text ? JSON.parse(text) : text };
  }

  get = (path: string) => this.request('GET', path);
  post = (path: string, body?: unknown) => this.request('POST', path, body);
  patch = (path: string, body: unknown) => this.request('PATCH', path, body);
  delete = (path: string) => this.request('DELETE', path);

  /** Signs in; throws unless it worked. */
  async login(email: string, password: string, tenant?: string): Promise<this> {
    const r = await this.post('/api/v1/session', { email, password, ...(tenant ? { tenant } : {}) });
    if (r.status !== 200) throw new Error(`login of ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
    const setCookie = r.headers.get('set-cookie') ?? '';
    this.cookie = setCookie.split(';')[0] ?? null;
    this.csrf = r.body.csrfToken;
    return this;
  }
}

/** Answers `status` or throws with the body, so a failed fixture step says why. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function expectStatus(answer: ApiAnswer, status: number): any {
  if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}
