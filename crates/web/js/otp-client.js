// Small typed clients of the smsotp HTTP API, on fetch only: `OtpClient` for servers (the
// SMS.cx-compatible API; it holds a tenant's secret key) and `BrowserClient` for web pages
// (the browser API `/v1/browser/*`; it holds a publishable key, public by design).

/** An error answered by the API (its envelope), or a transport failure. */
export class OtpError extends Error {
  constructor({ status, code, type, message, uri, field, attemptsLeft, retryAfter, errors }) {
    super(message);
    this.name = 'OtpError';
    /** HTTP status (0 when no response arrived). */
    this.status = status;
    /** The contract's numeric code (2001–2031, …), or the HTTP status. */
    this.code = code;
    /** The contract's error type (`invalid_param`, `invalid_pin`, …). */
    this.type = type;
    this.uri = uri ?? null;
    this.field = field ?? null;
    this.attemptsLeft = attemptsLeft ?? null;
    /** Seconds to wait before retrying (429s, 503s): the envelope's, else `Retry-After`'s. */
    this.retryAfter = retryAfter ?? null;
    /**
     * Every error the API reported, `[{ field, code, type, message }]`: the envelope's
     * `errors` when it lists several (a request with several invalid fields), else this
     * error alone; empty when no answer arrived.
     */
    this.errors = Array.isArray(errors)
      ? errors.map((e) => ({ field: e?.field ?? null, code: e?.code, type: e?.type, message: e?.message }))
      : status === 0
        ? []
        : [{ field: this.field, code, type, message }];
  }
}

const DEFAULT_TIMEOUT_MS = 15000;

function checkOptions(name, url, urlName, timeoutMs, fetchImpl) {
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
    throw new TypeError(`smsotp: ${name} needs ${urlName}, an http(s) URL`);
  }
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new TypeError(`smsotp: ${name}'s timeoutMs must be a positive number of milliseconds`);
  }
  const fetched = fetchImpl ?? globalThis.fetch?.bind(globalThis);
  if (typeof fetched !== 'function') throw new TypeError('smsotp: no fetch available; pass options.fetch');
  return fetched;
}

function pathId(otpId) {
  if (typeof otpId !== 'string' || otpId === '') throw new TypeError('smsotp: otpId must be a non-empty string');
  return encodeURIComponent(otpId);
}

// `Retry-After` in delta-seconds (what the API sends); an HTTP date is not used by it.
function retryAfterHeader(response) {
  const value = response.headers?.get?.('Retry-After');
  return typeof value === 'string' && /^\d{1,9}$/.test(value.trim()) ? Number(value) : undefined;
}

/**
 * One JSON request of either client: the answer's JSON, or an OtpError (the API's envelope,
 * an HTTP error without one, a body that is not JSON, or no answer within `timeoutMs`).
 */
async function request(client, method, url, headers, body) {
  const sent = { ...headers, Accept: 'application/json' };
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  let response;
  try {
    response = await client.fetch(url, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(client.timeoutMs),
    });
  } catch (e) {
    throw new OtpError({ status: 0, code: 0, type: 'network_error', message: `request failed: ${e.message}` });
  }
  const text = await response.text();
  let data;
  try {
    data = text === '' ? null : JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const e = data?.error;
    const retryAfter = retryAfterHeader(response);
    if (e && typeof e === 'object') throw new OtpError({ retryAfter, ...e, status: response.status });
    throw new OtpError({
      status: response.status,
      code: response.status,
      type: 'http_error',
      message: `HTTP ${response.status} without an error envelope`,
      retryAfter,
    });
  }
  if (data === undefined || data === null) {
    throw new OtpError({ status: response.status, code: 0, type: 'invalid_response', message: 'the response is not JSON' });
  }
  return data;
}

/**
 * The server API's client. For servers only: it holds the tenant's secret API key, which
 * must never reach a browser (a page's code is readable by anyone); pages use BrowserClient.
 */
export class OtpClient {
  /**
   * @param {{ baseUrl: string, apiKey: string, fetch?: typeof fetch, timeoutMs?: number }} options
   */
  constructor({ baseUrl, apiKey, fetch: fetchImpl, timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
    this.fetch = checkOptions('OtpClient', baseUrl, 'baseUrl', timeoutMs, fetchImpl);
    if (typeof apiKey !== 'string' || apiKey === '') throw new TypeError('smsotp: OtpClient needs apiKey');
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.apiKey = apiKey;
    this.timeoutMs = timeoutMs;
  }

  /** Creates an OTP and sends the SMS: the OTP object. */
  create(request) {
    return this.#request('POST', '/otp', request);
  }

  /** Verifies a PIN: `{ status: 'VERIFIED' }`, or throws an OtpError (2029 wrong PIN, …). */
  verify(otpId, pin) {
    return this.#request('POST', `/otp/${pathId(otpId)}`, { pin });
  }

  /** The OTP object. */
  status(otpId) {
    return this.#request('GET', `/otp/${pathId(otpId)}`);
  }

  /** Cancels a pending OTP: `{ info: { id } }`. */
  cancel(otpId) {
    return this.#request('DELETE', `/otp/${pathId(otpId)}`);
  }

  /**
   * Sends a new PIN for a pending OTP (an extension of the contract): the OTP object and
   * `resendAfter`; too soon, an OtpError 429 2109 with `retryAfter`. `options.channel`:
   * another channel the tenant allows (`voice`, `whatsapp`, `sms`).
   */
  resend(otpId, options = {}) {
    const body = options.channel === undefined ? undefined : { channel: options.channel };
    return this.#request('POST', `/otp/${pathId(otpId)}/resend`, body);
  }

  #request(method, path, body) {
    return request(this, method, this.baseUrl + path, { 'X-API-KEY': this.apiKey }, body);
  }
}

/**
 * The browser API's client (`/v1/browser/*`), for web pages: it holds a publishable key
 * (`pk_…`), which only works on those routes and from the key's listed origins, so it is
 * safe in a page's source. The tenant's settings (template, ttl, PIN) come from the edge,
 * not from the page.
 */
export class BrowserClient {
  /**
   * @param {{ api: string, publishableKey: string, fetch?: typeof fetch, timeoutMs?: number }} options
   */
  constructor({ api, publishableKey, fetch: fetchImpl, timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
    this.fetch = checkOptions('BrowserClient', api, 'api', timeoutMs, fetchImpl);
    // Refused here, before any request: a secret key in a page is readable by anyone.
    if (typeof publishableKey !== 'string' || !publishableKey.startsWith('pk_')) {
      throw new TypeError(
        'smsotp: BrowserClient needs publishableKey, a publishable key (pk_…): a secret key must never reach a browser (keep it on your server, with OtpClient)',
      );
    }
    this.api = api.replace(/\/+$/, '');
    this.publishableKey = publishableKey;
    this.timeoutMs = timeoutMs;
  }

  // Each OTP's client secret (`X-Client-Secret`), as start() received it: resend() and
  // check() need it, and a new start() for the same visitor shows the last one so that it
  // may replace that visitor's own pending OTP (never anyone else's).
  #secrets = new Map();
  #lastSecret = undefined;

  /** The tenant's browser settings: countries, PIN type and length, templates, Turnstile site key, resend cooldowns, ttl. */
  config() {
    return this.#request('GET', '/v1/browser/config');
  }

  /** Creates an OTP and sends the SMS: `{ otpId, phoneNumber, status, expiresAt, resendAfter, attemptsLeft, parts, clientSecret }`. */
  start(request) {
    // The body is checked at once (a TypeError thrown here, as before), the answer kept.
    return this.#request('POST', '/v1/browser/otp', body(request, 'start(request)'), this.#lastSecret).then((otp) => {
      if (typeof otp?.clientSecret === 'string') {
        this.#secrets.set(otp.otpId, otp.clientSecret);
        this.#lastSecret = otp.clientSecret;
      }
      return otp;
    });
  }

  /**
   * Sends a new PIN for a pending OTP: `{ otpId, status, expiresAt, resendAfter, attemptsLeft,
   * delivery }`; `options.channel` (`sms`, `voice`, `whatsapp`) the channel to send it through.
   * `options.clientSecret`: the OTP's client secret when this client did not start it (a
   * server-created OTP's, handed to the page by its backend).
   */
  resend(otpId, options = {}) {
    const { clientSecret, ...rest } = body(options, 'resend(otpId, options)');
    return this.#request('POST', `/v1/browser/otp/${pathId(otpId)}/resend`, rest, this.#secretOf(otpId, clientSecret));
  }

  /**
   * Where a pending OTP stands: `{ otpId, status, expiresAt, attemptsLeft, delivery: { channel,
   * status } }` (each call counts as a request of the tenant's). `options.clientSecret` as for
   * resend().
   */
  status(otpId, options = {}) {
    const { clientSecret } = body(options, 'status(otpId, options)');
    return this.#request('GET', `/v1/browser/otp/${pathId(otpId)}`, undefined, this.#secretOf(otpId, clientSecret));
  }

  /**
   * Checks a PIN: `{ status: 'VERIFIED', token, expiresIn }`, or throws an OtpError (2029
   * wrong PIN, …). `options.clientSecret` as for resend().
   */
  check(otpId, pin, options = {}) {
    const { clientSecret } = body(options, 'check(otpId, pin, options)');
    return this.#request('POST', `/v1/browser/otp/${pathId(otpId)}`, { pin }, this.#secretOf(otpId, clientSecret));
  }

  #secretOf(otpId, given) {
    if (given !== undefined && typeof given !== 'string') throw new TypeError('smsotp: clientSecret must be a string');
    return given ?? this.#secrets.get(otpId);
  }

  #request(method, path, payload, clientSecret) {
    const headers = { Authorization: `Bearer ${this.publishableKey}` };
    if (clientSecret) headers['X-Client-Secret'] = clientSecret;
    return request(this, method, this.api + path, headers, payload);
  }
}

// A request body: an object, sent as given (a field the browser may not set is refused by
// the API with 2121, not dropped here, so the mistake shows).
function body(value, what) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`smsotp: ${what} takes an object`);
  }
  return value;
}
