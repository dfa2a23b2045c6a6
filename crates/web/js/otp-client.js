// A small typed client of the smsotp / SMS.cx-compatible OTP HTTP API. Uses fetch only.

/** An error answered by the API (its envelope), or a transport failure. */
export class OtpError extends Error {
  constructor({ status, code, type, message, uri, field, attemptsLeft, errors }) {
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

export class OtpClient {
  /**
   * @param {{ baseUrl: string, apiKey: string, fetch?: typeof fetch, timeoutMs?: number }} options
   */
  constructor({ baseUrl, apiKey, fetch: fetchImpl, timeoutMs = 15000 } = {}) {
    if (typeof baseUrl !== 'string' || !/^https?:\/\//i.test(baseUrl)) {
      throw new TypeError('smsotp: OtpClient needs baseUrl, an http(s) URL');
    }
    if (typeof apiKey !== 'string' || apiKey === '') throw new TypeError('smsotp: OtpClient needs apiKey');
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.apiKey = apiKey;
    this.timeoutMs = timeoutMs;
    this.fetch = fetchImpl ?? globalThis.fetch?.bind(globalThis);
    if (typeof this.fetch !== 'function') throw new TypeError('smsotp: no fetch available; pass options.fetch');
  }

  /** Creates an OTP and sends the SMS: the OTP object. */
  create(request) {
    return this.#request('POST', '/otp', request);
  }

  /** Verifies a PIN: `{ status: 'VERIFIED' }`, or throws an OtpError (2029 wrong PIN, …). */
  verify(otpId, pin) {
    return this.#request('POST', `/otp/${this.#id(otpId)}`, { pin });
  }

  /** The OTP object. */
  status(otpId) {
    return this.#request('GET', `/otp/${this.#id(otpId)}`);
  }

  /** Cancels a pending OTP: `{ info: { id } }`. */
  cancel(otpId) {
    return this.#request('DELETE', `/otp/${this.#id(otpId)}`);
  }

  #id(otpId) {
    if (typeof otpId !== 'string' || otpId === '') throw new TypeError('smsotp: otpId must be a non-empty string');
    return encodeURIComponent(otpId);
  }

  async #request(method, path, body) {
    const headers = { 'X-API-KEY': this.apiKey, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await this.fetch(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
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
      if (e && typeof e === 'object') throw new OtpError({ status: response.status, ...e });
      throw new OtpError({
        status: response.status,
        code: response.status,
        type: 'http_error',
        message: `HTTP ${response.status} without an error envelope`,
      });
    }
    if (data === undefined || data === null) {
      throw new OtpError({ status: response.status, code: 0, type: 'invalid_response', message: 'the response is not JSON' });
    }
    return data;
  }
}
