// api.js: the one way the UI talks to slipway. The session is the HttpOnly
// cookie (the page never sees the token); writes carry X-CSRF-Token, read
// from the slipway_csrf cookie the login set (docs/ui.md).

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `the server answered ${status}`);
    this.status = status;
    this.code = e.code || 'unknown';
    this.details = Array.isArray(e.details) ? e.details : [];
    this.requestId = body && body.requestId;
  }
}

let onSessionLost = null;
// Called when a request finds the session gone (expired, revoked, logged out elsewhere).
export function setSessionLostHandler(fn) {
  onSessionLost = fn;
}

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)slipway_csrf=([0-9a-f]{64})/);
  return m ? m[1] : '';
}

export async function api(method, path, body) {
  const headers = {Accept: 'application/json'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken();
  let resp;
  try {
    resp = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, {
      error: {code: 'offline', message: 'slipway cannot be reached: check the connection and try again.', details: []},
    });
  }
  if (resp.status === 204) return null;
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data);
    if (err.code === 'unauthenticated' && onSessionLost) onSessionLost();
    throw err;
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);
export const put = (path, body) => api('PUT', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path, body) => api('DELETE', path, body);

// The integration type descriptors: fetched once, by the first page with a form.
let typesPromise = null;
export function integrationTypes() {
  if (!typesPromise) {
    typesPromise = get('/api/v1/integration-types').then((d) => d.items, (e) => {
      typesPromise = null;
      throw e;
    });
  }
  return typesPromise;
}

// The event catalogue (docs/events.md), for notifyOnEvents and the notification pages: fetched once per tenant.
const cataloguePromises = new Map();
export function eventCatalogue(tenantId) {
  if (!cataloguePromises.has(tenantId)) {
    cataloguePromises.set(tenantId, get(tenantPath(tenantId, '/notification-events')).then((d) => d.items, (e) => {
      cataloguePromises.delete(tenantId);
      throw e;
    }));
  }
  return cataloguePromises.get(tenantId);
}

export function tenantPath(tenantId, rest) {
  return `/api/v1/${encodeURIComponent(tenantId)}${rest || ''}`;
}
