// A real HTTP server on 127.0.0.1 standing in for the SMS providers' APIs (Twilio, Vonage,
// SMS.cx, a custom webhook) and for callback receivers. It checks each adapter's request
// format, records what arrived, and can fail on demand: `mode` = 'ok' | '500' | 'garbage'
// | 'hang' | 'reject' | 'echo' (a refusal whose error text repeats the recipient's number,
// as Twilio's do, and for the webhook the whole request, PIN included) | 'slow' (the 'ok'
// answer after `state.slowMs`, 1500 ms unless set: a send still in flight while a test
// sends more requests) | 'random' (a soak's flaky provider: each SMS request, by draws from
// `state.random` = { p500, pTimeout, pMalformed, timeoutMs, rng }, is answered 500, answered
// 'ok' only after `timeoutMs` (past the worker's SMS_TIMEOUT_MS), answered 'garbage', or
// answered 'ok' at once; the choice is kept on the received entry as `fault`: '500' |
// 'timeout' | 'garbage' | null). Callbacks are always answered at once.
import { createServer } from 'node:http';

/** The fault a 'random' upstream gives one request: '500', 'timeout', 'garbage' or null. */
function drawFault({ p500 = 0, pTimeout = 0, pMalformed = 0, rng = Math.random } = {}) {
  const x = rng();
  if (x < p500) return '500';
  if (x < p500 + pTimeout) return 'timeout';
  if (x < p500 + pTimeout + pMalformed) return 'garbage';
  return null;
}

export async function startUpstream() {
  const received = [];
  const state = { mode: 'ok' };
  const waiters = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const entry = { method: req.method, path: req.url, headers: req.headers, body: raw, at: Date.now() };
      received.push(entry);
      waiters.splice(0).forEach((w) => w());
      const json = (status, body) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.url.startsWith('/callback')) return json(200, {});
      // This request's mode: the state's, or for 'random' this request's draw.
      let mode = state.mode;
      if (mode === 'random') {
        entry.fault = drawFault(state.random);
        mode = entry.fault === 'timeout' ? 'slow' : (entry.fault ?? 'ok');
      }
      if (mode === 'slow') return setTimeout(respond, (state.mode === 'random' ? state.random.timeoutMs : state.slowMs) ?? 1500);
      respond();
      // The provider's answer (kept at the handler's indentation: a smaller diff).
      function respond() {
      if (mode === 'hang') return; // never answers
      if (mode === '500') {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        return res.end('upstream exploded');
      }
      if (mode === 'garbage') {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        return res.end('<html>not json</html>');
      }
      const form = Object.fromEntries(new URLSearchParams(raw));
      if (/^\/2010-04-01\/Accounts\/[^/]+\/Messages\.json$/.test(req.url)) {
        const ok = req.headers.authorization === `Basic ${Buffer.from('AC123:tw-token').toString('base64')}`;
        if (!ok) return json(401, { code: 20003, message: 'Authenticate', status: 401 });
        if (mode === 'reject') return json(400, { code: 21211, message: "The 'To' number is not valid.", status: 400 });
        if (mode === 'echo') return json(400, { code: 21211, message: `The 'To' number ${form.To} is not a valid phone number.`, more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 });
        return json(201, { sid: 'SM0123456789abcdef', status: 'queued', to: form.To, from: form.From, num_segments: '1' });
      }
      if (req.url === '/sms/json') {
        if (mode === 'echo') return json(200, { 'message-count': '1', messages: [{ to: form.to, status: '6', 'error-text': `Unroutable message - rejected for ${form.to}` }] });
        const status = mode === 'reject' ? '4' : '0';
        return json(200, { 'message-count': '1', messages: [{ to: form.to, 'message-id': 'vonage-1', status, 'error-text': status === '0' ? undefined : 'Bad Credentials' }] });
      }
      if (req.url === '/sms') {
        if (req.headers['x-api-key'] !== 'cx-key') return json(401, { error: { type: 'invalid_api_key', code: 401, message: 'bad key' } });
        const body = JSON.parse(raw);
        if (mode === 'echo') return json(400, { error: { type: 'invalid_param', code: 2001, message: `Invalid phone number ${body.to}` } });
        const status = mode === 'reject' ? 'REJECTED' : 'ACCEPTED';
        return json(200, { info: { totalPhoneNumbers: 1, totalValid: 1 }, data: [{ msgId: 'cx-1', status, to: body.to, trackData: body.trackData, parts: 1 }] });
      }
      if (req.url === '/webhook' && mode === 'echo') return json(422, { error: 'refused', request: JSON.parse(raw) });
      if (req.url === '/webhook') return json(mode === 'reject' ? 422 : 200, {});
      json(404, {});
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    received,
    state,
    /** The SMS the webhook provider received for `number` (`{to, from, text, otpId}`), oldest first. */
    smsTo: (number) => received.filter((e) => e.path === '/webhook' && JSON.parse(e.body).to === number).map((e) => JSON.parse(e.body)),
    /** Waits until `predicate(received)` holds (or throws after `ms`). */
    async waitFor(predicate, ms = 15000) {
      const end = Date.now() + ms;
      while (!predicate(received)) {
        if (Date.now() > end) throw new Error('timed out waiting for the upstream');
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}
