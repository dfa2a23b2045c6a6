// `smsotp/widget`: defines `<smsotp-verify>`, a framework-free custom element that walks a
// person through phone verification with the smsotp browser API (`import 'smsotp/widget'`).
// Its parts are small modules in ./widget/ (element.js lists them); esbuild bundles them
// with the BrowserClient into the package's one widget.js (assemble.mjs), so a page still
// loads one module, ~13 KB gzipped with its CSS and seven languages.
//
// The exports are the package's (widget.d.ts): the element class, `defineSmsotpVerify`, and
// `sanitizeCode` for pages that read a code themselves. Defining at import is the module's
// one side effect (package.json `sideEffects`); in Node, or during server rendering, there
// is no `customElements` and nothing is defined.
import { defineSmsotpVerify } from './widget/element.js';

export { SmsotpVerify, defineSmsotpVerify } from './widget/element.js';
export { sanitizeCode } from './widget/code.js';

defineSmsotpVerify();
