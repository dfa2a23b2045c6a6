// The dashboard's one way to the API: a session made from the secret key the operator
// typed. The key lives in this closure only — never in localStorage, sessionStorage, a
// cookie or the URL — so reloading or closing the tab forgets it, and `forget()` (sign out)
// drops the last reference. Requests go to this origin only (the page's CSP has
// `connect-src 'self'`), with the key in `Authorization: Bearer`, as a backend sends it.

/** An answer the API refused: its HTTP status and its error envelope's code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * A session for `key`: `get(path, params)` answers the JSON of a GET, or throws an
 * ApiError (the API's refusal) or a TypeError (the network); `forget()` ends it.
 */
export function session(key) {
  let secret = key;
  return {
    async get(path, params = {}) {
      if (secret === null) throw new ApiError(401, 401, 'Signed out');
      const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''));
      const url = `${path}${query.size ? `?${query}` : ''}`;
      const res = await fetch(url, {
        headers: { Authorization: `Bearer ${secret}`, Accept: 'application/json' },
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
      const body = await res.json().catch(() => null);
      if (!res.ok) {
        const e = body?.error;
        throw new ApiError(res.status, e?.code ?? res.status, e?.message ?? `${res.status} ${res.statusText}`);
      }
      return body;
    },
    forget() {
      secret = null;
    },
  };
}
