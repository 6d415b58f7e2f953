// The admin UI's only door to the server: same-origin JSON under /api/v1, the session cookie sent
// by the browser. Every failure becomes an ApiError whose message is the server's Japanese text.

const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** `details` as [{path, message}] when the server named fields, else []. */
  get fieldErrors() {
    return Array.isArray(this.details) ? this.details.filter((d) => d && typeof d.path === 'string' && typeof d.message === 'string') : [];
  }
}

const sessionListeners = new Set();

/** Called when the server answers 401 to a logged-in call: the session is gone. */
export function onSessionExpired(listener) {
  sessionListeners.add(listener);
}

/**
 * api('GET', '/onboarding') → parsed JSON (or null for an empty answer). `body` is sent as JSON,
 * or as-is when it is FormData (multipart uploads).
 */
export async function api(method, path, body, { expectUnauthorized = false } = {}) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch {
    throw new ApiError(0, 'network', 'サーバーに接続できませんでした。ネットワーク接続を確認して、もう一度お試しください。');
  }
  const payload = await readPayload(res);
  if (res.ok) return payload;
  const error = toApiError(res, payload);
  if (res.status === 401 && !expectUnauthorized) for (const listener of sessionListeners) listener(error);
  throw error;
}

async function readPayload(res) {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toApiError(res, payload) {
  const error = payload && typeof payload === 'object' ? payload.error : null;
  if (error && typeof error.message === 'string') return new ApiError(res.status, error.code ?? 'error', error.message, error.details);
  if (res.status === 404) return new ApiError(404, 'feature_unavailable', 'この機能はまだ利用できません。');
  return new ApiError(res.status, 'http_error', `サーバーでエラーが発生しました（${res.status}）。しばらくしてから再度お試しください。`);
}
