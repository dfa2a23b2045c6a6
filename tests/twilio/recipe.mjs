import twilio from 'twilio';

// Twilio's SDK has no base-URL option: this HTTP client sends its Verify requests to smsotp.
export class SmsotpRequestClient extends twilio.RequestClient {
  constructor(baseUrl, options) {
    super(options); // RequestClient's options (timeout, autoRetry, …) go here, not to twilio()
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  request(opts) {
    opts.uri = opts.uri.replace(/^https:\/\/verify(\.[^/]*)?\.twilio\.com(?=\/|$)/, this.baseUrl);
    return super.request(opts);
  }
}

// const client = twilio(accountSid, authToken, { httpClient: new SmsotpRequestClient('https://otp.example.com') });
// With an API key: twilio(apiKeySid, apiKeySecret, { accountSid, httpClient: new SmsotpRequestClient(…) })
