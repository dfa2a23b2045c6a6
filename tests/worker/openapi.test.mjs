// docs/openapi.json against what answers and what calls: the routes the worker knows
// (its route table, and what the built worker answers on workerd) are the document's paths
// and methods, no more and no fewer; `GET /openapi.json` serves the file byte for byte; and
// the npm package's clients (`OtpClient`, `BrowserClient`: their methods, the requests they
// send, the field names of their request and response types, read from index.d.ts with
// the TypeScript compiler) agree with the operations they call. The error table and the
// core's types are checked against the document by crates/core/tests/openapi.rs.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { startWorker } from './harness.mjs';
import { OtpClient, BrowserClient } from '../../crates/web/js/otp-client.js';

const root = new URL('../../', import.meta.url);
const read = (path) => readFileSync(new URL(path, root), 'utf8');
const DOC_TEXT = read('docs/openapi.json');
const doc = JSON.parse(DOC_TEXT);
const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'options'];
const ID = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
// Twilio Verify v2 path parameters: a service and a verification SID (no tenant's).
const SERVICE_SID = 'VA0123456789abcdef0123456789abcdef';
const VERIFICATION_SID = 'VE0123456789abcdef0123456789abcdef';

/** Every documented operation: `{ method, path, id, op }`. */
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  METHODS.filter((m) => item[m]).map((m) => ({ method: m.toUpperCase(), path, id: item[m].operationId, op: item[m] })));
const byId = new Map(operations.map((o) => [o.id, o]));

/** A `$ref`'d schema, resolved (one level). */
const resolve = (schema) => (schema?.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema);
/** Property names and required names of an object schema. */
const shape = (schema) => {
  const s = resolve(schema);
  return { props: Object.keys(s.properties ?? {}).sort(), required: [...(s.required ?? [])].sort() };
};
/** The schema of an operation's 2xx answer. */
const success = (id) => {
  const [, r] = Object.entries(byId.get(id).op.responses).find(([status]) => status.startsWith('2'));
  return r.content['application/json'].schema;
};

describe('routes', () => {
  test('the worker\'s route table (pipeline/table.rs) and the document have the same paths, and the same methods on each', () => {
    const table = read('worker/src/pipeline/table.rs');
    const rows = table.slice(table.indexOf('pub static ROUTES'), table.indexOf('\n];'));
    const entries = [...rows.matchAll(/method: Method::(\w+),\s*path: "([^"]+)"/g)].map((m) => `${m[1].toLowerCase()} ${m[2]}`);
    const routes = [...new Set(entries.map((e) => e.split(' ')[1]))].sort();
    assert.ok(routes.length >= 10, `only ${routes.length} routes read from pipeline/table.rs`);
    assert.deepEqual(routes, Object.keys(doc.paths).sort());
    // The preflight (OPTIONS) is the pipeline's, for the table's CORS routes; every other
    // operation is one row.
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => METHODS.filter((m) => m !== 'options' && ops[m]).map((m) => `${m} ${path}`));
    assert.deepEqual(entries.sort(), documented.sort());
  });

  let w;
  before(async () => { w = await startWorker({ RATE_LIMIT_PER_MINUTE: '1000' }); });
  after(async () => { await w?.dispose(); });

  test('every documented method is answered on its path, every other method is 405', async () => {
    for (const path of Object.keys(doc.paths)) {
      const concrete = path.replace('{otpId}', ID).replace('{provider}', 'whatsapp')
        .replace('{ServiceSid}', SERVICE_SID).replace('{Sid}', VERIFICATION_SID);
      for (const method of [...METHODS.map((m) => m.toUpperCase()), 'QUERY']) {
        const r = await w.fetch(concrete, { method, headers: { Origin: 'https://shop.example' }, body: ['GET', 'OPTIONS'].includes(method) ? undefined : '{}' });
        const text = await r.text();
        // Our envelope `{error: {code}}`, or Twilio's `{code}` on the Twilio Verify v2 routes.
        const body = r.status === 204 ? null : JSON.parse(text);
        const code = body === null ? null : (body.error?.code ?? body.code);
        if (doc.paths[path][method.toLowerCase()]) {
          // Routed: whatever it answers, it is neither "no such route" nor "not allowed".
          assert.ok(code !== 404 && code !== 405, `${method} ${path}: ${r.status} ${text}`);
          assert.ok(Object.keys(doc.paths[path][method.toLowerCase()].responses).includes(String(r.status)), `${method} ${path}: ${r.status} not documented`);
        } else {
          assert.deepEqual([r.status, code], [405, 405], `${method} ${path} is not documented but answered ${r.status}`);
        }
      }
    }
    const unknown = await w.fetch('/otp/x/y/z');
    assert.equal(unknown.status, 404);
  });

  test('GET /openapi.json serves docs/openapi.json byte for byte, without a key', async () => {
    const r = await w.fetch('/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.match(r.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
    assert.equal(await r.text(), DOC_TEXT, 'the served document is not the file: rebuild the worker');
    // With a trailing slash too, as every route.
    assert.equal((await w.fetch('/openapi.json/')).status, 200);
  });

  test('the document is OpenAPI 3.1 with a unique operationId per operation and the links\' targets existing', () => {
    assert.match(doc.openapi, /^3\.1\./);
    assert.equal(byId.size, operations.length, 'operationIds are not unique');
    for (const { id, op } of operations) {
      for (const [status, r] of Object.entries(op.responses)) {
        assert.ok(r.headers?.['X-Request-Id'], `${id} ${status}: no X-Request-Id`);
        for (const [name, link] of Object.entries(r.links ?? {})) {
          assert.ok(byId.has(link.operationId), `${id} ${status} link ${name} → ${link.operationId}`);
          const target = byId.get(link.operationId);
          const params = [...(doc.paths[target.path].parameters ?? []), ...(target.op.parameters ?? [])];
          for (const p of Object.keys(link.parameters)) assert.ok(params.some((q) => q.name === p), `${name}: ${p}`);
          // The value the link reads is a property of this answer.
          const field = Object.values(link.parameters)[0].replace('$response.body#/', '');
          assert.ok(shape(r.content['application/json'].schema).required.includes(field), `${id} ${status} ${name}: ${field}`);
        }
      }
    }
  });
});

describe('the Twilio Verify v2 operations (docs/twilio.md)', () => {
  const twilio = operations.filter((o) => o.path.startsWith('/v2/'));
  /** The `TwilioError<status>` or `Error<status>` a response's schema names (directly or in `allOf`). */
  const errorSchema = (r) => {
    const s = r.content?.['application/json']?.schema;
    const ref = s?.$ref ?? s?.allOf?.[0]?.$ref;
    return ref?.split('/').pop();
  };

  test('the nine operations, with HTTP Basic, form bodies and their tag', () => {
    assert.deepEqual(twilio.map((o) => `${o.method} ${o.path}`).sort(), [
      'DELETE /v2/Services/{ServiceSid}',
      'GET /v2/Services',
      'GET /v2/Services/{ServiceSid}',
      'GET /v2/Services/{ServiceSid}/Verifications/{Sid}',
      'POST /v2/Services',
      'POST /v2/Services/{ServiceSid}',
      'POST /v2/Services/{ServiceSid}/VerificationCheck',
      'POST /v2/Services/{ServiceSid}/Verifications',
      'POST /v2/Services/{ServiceSid}/Verifications/{Sid}',
    ]);
    assert.equal(doc.components.securitySchemes.basicAuth.scheme, 'basic');
    for (const { id, op } of twilio) {
      assert.deepEqual(op.security, [{ basicAuth: [] }], id);
      assert.deepEqual(op.tags, ['Twilio Verify v2'], id);
      if (op.requestBody) assert.deepEqual(Object.keys(op.requestBody.content), ['application/x-www-form-urlencoded'], id);
      assert.equal(!!op.requestBody, id !== 'twilioListServices' && !id.startsWith('twilioFetch') && id !== 'twilioDeleteService', `${id}: a body exactly on the POSTs`);
      assert.ok(op.responses['401'].headers['WWW-Authenticate'], `${id}: 401 without WWW-Authenticate`);
    }
    // And no other operation uses HTTP Basic.
    for (const { id, op, path } of operations) {
      if (!path.startsWith('/v2/')) assert.ok(!op.security?.some((s) => 'basicAuth' in s), id);
    }
  });

  test('their errors are Twilio\'s body of their own status, never ours (and ours never Twilio\'s)', () => {
    const envelope = doc.components.schemas.TwilioError;
    assert.deepEqual(Object.keys(envelope.properties).sort(), ['code', 'message', 'more_info', 'status']);
    assert.deepEqual([...envelope.required].sort(), ['code', 'message', 'more_info', 'status']);
    assert.equal(envelope.additionalProperties, false, 'no `type`/`title`: the SDKs would raise another exception class');
    for (const { id, op, path } of operations) {
      for (const [status, r] of Object.entries(op.responses)) {
        if (!/^[45]/.test(status)) continue;
        const name = errorSchema(r);
        if (path.startsWith('/v2/')) assert.equal(name, `TwilioError${status}`, `${id} ${status}`);
        else assert.ok(!name?.startsWith('Twilio'), `${id} ${status}: ${name}`);
      }
    }
    // Each TwilioError<status> lists its codes, each at one status only.
    const seen = new Map();
    for (const [name, s] of Object.entries(doc.components.schemas)) {
      const status = name.match(/^TwilioError(\d{3})$/)?.[1];
      if (!status) continue;
      assert.equal(s.properties.status.const, Number(status), name);
      for (const v of s.oneOf) {
        const code = v.properties.code.const;
        assert.ok(!seen.has(code), `${code} listed under ${seen.get(code)} and ${name}`);
        seen.set(code, name);
      }
    }
    assert.ok(seen.size >= 12, `${seen.size} Twilio codes`);
  });
});

/** index.d.ts parsed: classes' methods and interfaces' members. */
function declarations(path) {
  const source = ts.createSourceFile(path, read(path), ts.ScriptTarget.Latest, true);
  const out = { classes: new Map(), types: new Map() };
  const members = (list) => {
    const props = [];
    let indexTemplate = null;
    for (const m of list) {
      if (ts.isPropertySignature(m)) props.push({ name: m.name.getText(source), optional: !!m.questionToken, type: m.type });
      if (ts.isIndexSignatureDeclaration(m)) indexTemplate = m.parameters[0].type.getText(source);
    }
    return { props, indexTemplate };
  };
  const visit = (node) => {
    if (ts.isClassDeclaration(node)) {
      const methods = new Map();
      for (const m of node.members) {
        if (ts.isMethodDeclaration(m)) methods.set(m.name.getText(source), m);
      }
      out.classes.set(node.name.text, methods);
    }
    if (ts.isInterfaceDeclaration(node)) out.types.set(node.name.text, members(node.members));
    if (ts.isTypeAliasDeclaration(node) && ts.isTypeLiteralNode(node.type)) out.types.set(node.name.text, members(node.type.members));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { ...out, source, members };
}

describe('the package\'s clients (crates/web/js/index.d.ts)', () => {
  const d = declarations('crates/web/js/index.d.ts');
  /** Each client method → the operation it calls. */
  const CALLS = {
    OtpClient: { create: 'createOtp', verify: 'verifyOtp', status: 'getOtp', cancel: 'cancelOtp', resend: 'resendOtp' },
    BrowserClient: { config: 'browserConfig', start: 'browserStart', resend: 'browserResend', status: 'browserStatus', check: 'browserCheck' },
  };

  test('every method of OtpClient and BrowserClient is a documented operation', () => {
    for (const [cls, calls] of Object.entries(CALLS)) {
      assert.deepEqual([...d.classes.get(cls).keys()].sort(), Object.keys(calls).sort(), `${cls}'s methods`);
      for (const id of Object.values(calls)) assert.ok(byId.has(id), id);
    }
  });

  test('each method sends the documented method and path, with the documented auth header', async () => {
    const sent = [];
    const fakeFetch = async (url, init) => {
      sent.push({ method: init.method, path: new URL(url).pathname, headers: init.headers, body: init.body });
      return new Response(JSON.stringify({ status: 'VERIFIED', otpId: ID, info: { id: ID } }), { status: 200, headers: { 'Content-Type': 'application/json' } });
    };
    const server = new OtpClient({ baseUrl: 'https://otp.example', apiKey: 'k', fetch: fakeFetch });
    const page = new BrowserClient({ api: 'https://otp.example', publishableKey: 'pk_x', fetch: fakeFetch });
    const calls = [
      ['OtpClient', 'create', () => server.create({ phoneNumber: '+33612345678' })],
      ['OtpClient', 'verify', () => server.verify(ID, '123456')],
      ['OtpClient', 'status', () => server.status(ID)],
      ['OtpClient', 'cancel', () => server.cancel(ID)],
      ['OtpClient', 'resend', () => server.resend(ID)],
      ['BrowserClient', 'config', () => page.config()],
      ['BrowserClient', 'start', () => page.start({ phoneNumber: '+33612345678' })],
      ['BrowserClient', 'resend', () => page.resend(ID)],
      ['BrowserClient', 'status', () => page.status(ID)],
      ['BrowserClient', 'check', () => page.check(ID, '123456')],
    ];
    for (const [cls, method, run] of calls) {
      sent.length = 0;
      await run();
      assert.equal(sent.length, 1, `${cls}.${method}`);
      const { id, path, method: httpMethod, op } = byId.get(CALLS[cls][method]);
      const pattern = new RegExp(`^${path.replace('{otpId}', '[0-9a-f-]{36}')}$`);
      assert.match(sent[0].path, pattern, `${cls}.${method} → ${id}`);
      assert.equal(sent[0].method, httpMethod, `${cls}.${method} → ${id}`);
      // The credentials the operation's security names.
      const scheme = Object.keys(op.security[0])[0];
      const s = doc.components.securitySchemes[scheme];
      if (s.type === 'apiKey') assert.ok(sent[0].headers[s.name], `${cls}.${method}: ${s.name}`);
      else assert.match(sent[0].headers.Authorization, /^Bearer /, `${cls}.${method}`);
      // A body exactly when the operation documents one.
      if (sent[0].body !== undefined) {
        assert.ok(op.requestBody, `${cls}.${method} sends a body ${id} does not document`);
        const props = shape(op.requestBody.content['application/json'].schema).props;
        for (const k of Object.keys(JSON.parse(sent[0].body))) assert.ok(props.includes(k), `${cls}.${method}: ${k}`);
      } else {
        assert.ok(!op.requestBody?.required, `${cls}.${method} sends no body; ${id} requires one`);
      }
    }
  });

  /** The fields (name, optional) of a TypeScript type node or named type. */
  const fields = (type) => {
    if (ts.isTypeReferenceNode(type)) {
      const name = type.typeName.getText(d.source);
      if (name === 'Promise') return fields(type.typeArguments[0]);
      return d.types.get(name) ?? generated().get(name);
    }
    if (ts.isTypeLiteralNode(type)) return d.members(type.members);
    // `A & { … }` (OtpClient.resend's answer): every part's fields, unknown if one part is.
    if (ts.isIntersectionTypeNode(type)) {
      const parts = type.types.map(fields);
      return parts.every(Boolean) ? { props: parts.flatMap((p) => p.props) } : undefined;
    }
    throw new Error(`no fields for ${type.getText(d.source)}`);
  };
  // The OTP object's type is generated from the core into the built package (types.d.ts):
  // the package is built first when missing or stale (scripts/lib.sh ensure_pkg, which
  // test-worker.sh also runs), so the comparison always runs.
  before(() => {
    const built = spawnSync('bash', ['-c', 'source scripts/lib.sh && ensure_pkg'], { cwd: fileURLToPath(root), stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    assert.equal(built.status, 0, `ensure_pkg (the npm package's build) failed:\n${built.stdout}\n${built.stderr}`);
  });
  let generatedTypes;
  const generated = () => {
    if (generatedTypes) return generatedTypes;
    const path = 'crates/web/pkg/types.d.ts';
    assert.ok(existsSync(new URL(path, root)), `${path} is missing after ensure_pkg`);
    generatedTypes = new Map(declarations(path).types);
    return generatedTypes;
  };
  const sameShape = (tsFields, schema, what) => {
    const { props, required } = shape(schema);
    const names = tsFields.props.map((p) => p.name).sort();
    assert.deepEqual(names, props, `${what}: the type's fields vs the document's`);
    const mandatory = tsFields.props.filter((p) => !p.optional).map((p) => p.name).sort();
    assert.deepEqual(mandatory, required, `${what}: required fields`);
  };

  test('each method\'s answer type has the fields of the operation\'s success schema', () => {
    for (const [cls, calls] of Object.entries(CALLS)) {
      for (const [method, id] of Object.entries(calls)) {
        const m = d.classes.get(cls).get(method);
        const result = fields(m.type);
        assert.ok(result, `${cls}.${method}: no fields found for ${m.type.getText(d.source)} (index.d.ts or crates/web/pkg/types.d.ts)`);
        sameShape(result, success(id), `${cls}.${method} → ${id}`);
      }
    }
  });

  test('each method\'s request type has the fields of the operation\'s body', () => {
    const body = (id) => byId.get(id).op.requestBody.content['application/json'].schema;
    // Objects passed as the body.
    const create = d.types.get('OtpRequestInput');
    const createSchema = resolve(body('createOtp'));
    // Every documented field is a property of the input type and the other way round;
    // only `phoneNumber` is required; `template_xx` is the type's template-literal index.
    sameShape(create, body('createOtp'), 'OtpClient.create(OtpRequestInput)');
    assert.equal(create.indexTemplate, '`template_${string}`');
    assert.deepEqual(Object.keys(createSchema.patternProperties), ['^template_']);
    sameShape(d.types.get('BrowserOtpRequest'), body('browserStart'), 'BrowserClient.start(BrowserOtpRequest)');
    // `resend(otpId, options?: { turnstileToken?, clientSecret? })`: the options are the body,
    // but for `clientSecret`, which goes in the documented X-Client-Secret header.
    const headerOf = (id) => (byId.get(id).op.parameters ?? []).map((p) => (p.$ref ? resolve(p) : p)).filter((p) => p.in === 'header').map((p) => p.name);
    const resend = d.classes.get('BrowserClient').get('resend');
    const resendOptions = fields(resend.parameters[1].type);
    const names = (f) => f.props.map((p) => p.name);
    assert.ok(names(resendOptions).includes('clientSecret') && headerOf('browserResend').includes('X-Client-Secret'), 'resend: clientSecret is the X-Client-Secret header');
    sameShape({ ...resendOptions, props: resendOptions.props.filter((p) => p.name !== 'clientSecret') }, body('browserResend'), 'BrowserClient.resend options');
    assert.equal(byId.get('browserResend').op.requestBody.required, false);
    // `verify(otpId, pin)` and `check(otpId, pin, options?: { clientSecret? })`: the PIN is
    // the body's one field; check's client secret is the X-Client-Secret header.
    for (const [cls, method, id, rest] of [['OtpClient', 'verify', 'verifyOtp', []], ['BrowserClient', 'check', 'browserCheck', ['options']]]) {
      const params = d.classes.get(cls).get(method).parameters.map((p) => p.name.getText(d.source));
      assert.deepEqual(params, ['otpId', 'pin', ...rest], `${cls}.${method}`);
      assert.deepEqual(shape(body(id)).props, ['pin']);
    }
    const checkOptions = fields(d.classes.get('BrowserClient').get('check').parameters[2].type);
    assert.deepEqual(names(checkOptions), ['clientSecret']);
    assert.ok(headerOf('browserCheck').includes('X-Client-Secret'));
  });
});
