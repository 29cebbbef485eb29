// Calls to the project's REST API with the in-memory bearer token.
import { bearer, signOut } from './auth.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${bearer()}` };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  } else if (method !== 'GET') {
    init.body = ''; // Kore wants a Content-Length on a POST
  }
  const response = await fetch(`/api/v1${path}`, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : { code: 'http', message: `HTTP ${response.status}` };
    if (response.status === 401) signOut(`Signed out: ${error.message}`);
    throw new ApiError(response.status, error.code, error.message);
  }
  return data;
}

// The items of a list answer ({"items": [...]} or a bare array).
export function items(data) {
  return Array.isArray(data) ? data : (data && data.items) || [];
}
