// The server's HTTP API as the app uses it: same-origin fetch with the session cookie
// (never a token in storage), RFC 9457 problems turned into ApiError.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Calls the API. `json` sends a JSON body, `body` anything fetch takes (FormData).
 * Returns parsed JSON, text, or (with `raw`) the Response.
 */
export async function api(path, { method = 'GET', json, body, raw = false, signal } = {}) {
  const init = { method, headers: { Accept: 'application/json, */*' }, credentials: 'same-origin', signal };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['Content-Type'] = 'application/json';
  } else if (body !== undefined) {
    init.body = body;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    throw new ApiError(0, {
      title: 'The server cannot be reached',
      detail: 'Check that `apiforge serve` is running, then try again.',
    });
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    let problem;
    try {
      problem = JSON.parse(text);
    } catch {
      problem = { title: response.statusText || `HTTP ${response.status}`, detail: text.slice(0, 500) };
    }
    const error = new ApiError(response.status, problem);
    if (response.status === 401 && !path.startsWith('/api/auth/')) {
      window.dispatchEvent(new CustomEvent('apiforge:signed-out'));
    }
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get('content-type') || '';
  return type.includes('json') ? response.json() : response.text();
}

const enc = encodeURIComponent;

export const auth = {
  me: () => api('/api/auth/me'),
  login: (email) => api('/api/auth/login', { method: 'POST', json: { email } }),
  verifyToken: (token) => api('/api/auth/verify', { method: 'POST', json: { token } }),
  verifyCode: (email, code) => api('/api/auth/verify', { method: 'POST', json: { email, code } }),
  logout: () => api('/api/auth/logout', { method: 'POST' }),
};

export const projects = {
  list: () => api('/api/projects'),
  get: (id) => api(`/api/projects/${enc(id)}`),
  status: (id) => api(`/api/projects/${enc(id)}/status`),
  create: (input) => (input instanceof FormData
    ? api('/api/projects', { method: 'POST', body: input })
    : api('/api/projects', { method: 'POST', json: input })),
  plan: (input) => (input instanceof FormData
    ? api('/api/plan', { method: 'POST', body: input })
    : api('/api/plan', { method: 'POST', json: input })),
  versions: (id) => api(`/api/projects/${enc(id)}/versions`),
  files: (id, version) => api(`/api/projects/${enc(id)}/files${version ? `?version=${version}` : ''}`),
  file: (id, path, version) => api(`/api/projects/${enc(id)}/files/content?path=${enc(path)}${version ? `&version=${version}` : ''}`),
  specUrl: (id, format) => `/api/projects/${enc(id)}/spec?format=${format}`,
  postmanUrl: (id) => `/api/projects/${enc(id)}/postman`,
  report: (id, version) => api(`/api/projects/${enc(id)}/report${version ? `?version=${version}` : ''}`),
  preview: (id) => api(`/api/projects/${enc(id)}/preview`),
  diff: (id, from, to) => api(`/api/projects/${enc(id)}/diff?from=${enc(from)}&to=${enc(to)}`),
  /** A new generation: from a revised description (`prompt`), or again from the current source. */
  regenerate: (id, prompt) => api(`/api/projects/${enc(id)}/regenerate`, {
    method: 'POST', json: prompt == null ? {} : { prompt },
  }),
  remove: (id) => api(`/api/projects/${enc(id)}`, { method: 'DELETE' }),
  members: (id) => api(`/api/projects/${enc(id)}/members`),
  share: (id, email, role) => api(`/api/projects/${enc(id)}/members`, { method: 'PUT', json: { email, role } }),
  unshare: (id, userId) => api(`/api/projects/${enc(id)}/members/${enc(userId)}`, { method: 'DELETE' }),
  exportZip: (id, version) => api(`/api/projects/${enc(id)}/export`, {
    method: 'POST', json: version ? { format: 'zip', version } : { format: 'zip' }, raw: true,
  }),
};

export const system = {
  /** `{status, database, version, llm_providers: ["openai (model)", …]}`. */
  health: () => api('/api/health'),
};

export const jobs = {
  get: (id) => api(`/api/jobs/${enc(id)}`),
  retry: (id) => api(`/api/jobs/${enc(id)}/retry`, { method: 'POST' }),
  eventsUrl: (id) => `/api/jobs/${enc(id)}/events`,
};

/** Saves a Response's body as a file (name from Content-Disposition, else `fallback`). */
export async function saveResponse(response, fallback) {
  const disposition = response.headers.get('content-disposition') || '';
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const name = match ? decodeURIComponent(match[1]) : fallback;
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return { name, size: blob.size };
}
