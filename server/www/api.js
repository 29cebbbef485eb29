// Calls to the project's REST API with the in-memory bearer token. A 401
// renews the token once (auth.recover) and repeats the request once: a 401 is
// answered before any handler runs, so a repeated POST does not act twice.
import { bearer, expire, recover } from './auth.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function send(path, method, body, token) {
  const headers = { Authorization: `Bearer ${token}` };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  } else if (method !== 'GET') {
    init.body = ''; // Kore wants a Content-Length on a POST
  }
  return fetch(`/api/v1${path}`, init);
}

export async function api(path, { method = 'GET', body } = {}) {
  const used = bearer();
  let response = await send(path, method, body, used);
  if (response.status === 401 && await recover(used)) response = await send(path, method, body, bearer());
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : { code: 'http', message: `HTTP ${response.status}` };
    if (response.status === 401) expire(error.message);
    throw new ApiError(response.status, error.code, error.message);
  }
  return data;
}

// The items of a list answer ({"items": [...]} or a bare array).
export function items(data) {
  return Array.isArray(data) ? data : (data && data.items) || [];
}
