// The widget's CSS, as strings the element puts in `<style>` elements (one module, no CSS
// file to load: the widget stays one request). Hand-minified because esbuild does not
// minify CSS inside template strings; what each short class means is listed below.
//
// Two style sheets, because the widget's DOM is in two places:
// - the light DOM's (`lightStyles`): the inputs, their labels and hints, the country list and
//   the live region are children of the element (ARIA references cannot cross a shadow root,
//   and password managers and SMS autofill look for inputs there). Scoped by the tag name, so
//   a page's own rules on `smsotp-verify .smsotp-input` can override them.
// - the shadow root's (`shadowStyles`): the layout, the buttons, the code boxes and the
//   preview, restyled by a page through `--smsotp-*` custom properties and `::part()`.
//
// Short names, as the rest is minified (measured: the long private property names cost 33
// bytes of the gzipped widget.js). The theme's private custom properties, each set on the
// host from its public `--smsotp-*` one (or a default, light or dark) and inherited by both
// DOMs: `--_a` accent, `--_o` text on the accent, `--_b` background, `--_t` text, `--_m`
// muted text, `--_l` lines (borders), `--_e` error, `--_s` success, `--_r` radius, `--_f`
// font. Shadow classes: `.s` a step's block, shown by the container's `data-s` (the state):
// `.p` phone, `.k` code, `.v` verified; `.w` the code input's wrapper with its boxes, `.f`
// the boxes while the input has focus, `.a` the box of the next character; `.a2` the actions.

/** The light DOM's rules, scoped by the element's tag name. */
export const lightStyles = (tag) => `
${tag}{display:block;color:var(--_t);font:var(--_f)}
${tag} .smsotp-label{display:block;font-weight:600;margin:0 0 .25rem}
${tag} .smsotp-hint{display:block;color:var(--_m);font-size:.875em;margin:.25rem 0 0}
${tag} .smsotp-field{position:relative;margin:0 0 .75rem}
${tag} .smsotp-input{box-sizing:border-box;width:100%;font:inherit;color:var(--_t);background:var(--_b);border:1px solid var(--_l);border-radius:var(--_r);padding:.5rem .625rem;min-height:2.75rem}
${tag} .smsotp-input:focus{outline:2px solid var(--_a);outline-offset:1px}
${tag} .smsotp-input[aria-invalid=true]{border-color:var(--_e)}
${tag} .smsotp-list{position:absolute;z-index:10;left:0;right:0;top:100%;margin:.25rem 0 0;padding:.25rem 0;list-style:none;max-height:16rem;overflow:auto;background:var(--_b);color:var(--_t);border:1px solid var(--_l);border-radius:var(--_r);box-shadow:0 4px 16px #0004}
${tag} .smsotp-list[hidden]{display:none}
${tag} .smsotp-list li{padding:.375rem .625rem;cursor:pointer}
${tag} .smsotp-list li[data-current]{font-weight:600;box-shadow:inset 3px 0 var(--_a)}
${tag} .smsotp-list li[aria-selected=true]{background:var(--_a);color:var(--_o)}
${tag} .smsotp-code{box-sizing:content-box;font:600 1.5rem/1 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;letter-spacing:1.4ch;padding:0 0 0 .7ch;margin:0;height:3rem;border:0;background:transparent;color:var(--_t);outline:none;display:block}
${tag} .smsotp-code[readonly]{color:var(--_m)}
${tag} .smsotp-status{margin:0;min-height:1.25em}
${tag} .smsotp-status[data-kind=error]{color:var(--_e)}
${tag} .smsotp-status[data-kind=ok]{color:var(--_s);font-weight:600}
`;

/** The shadow root's rules: the theme's custom properties (light and dark), layout, parts. */
export const shadowStyles = `
:host{display:block;--_a:var(--smsotp-accent,#0b57d0);--_o:var(--smsotp-accent-text,#fff);--_b:var(--smsotp-background,#fff);--_t:var(--smsotp-text,#1f1f1f);--_m:var(--smsotp-muted,#54575b);--_l:var(--smsotp-border,#767676);--_e:var(--smsotp-error,#b3261e);--_s:var(--smsotp-success,#146c2e);--_r:var(--smsotp-radius,.5rem);--_f:var(--smsotp-font,inherit)}
@media (prefers-color-scheme:dark){:host{--_a:var(--smsotp-accent,#a8c7fa);--_o:var(--smsotp-accent-text,#062e6f);--_b:var(--smsotp-background,#1f1f1f);--_t:var(--smsotp-text,#e3e3e3);--_m:var(--smsotp-muted,#c4c7c5);--_l:var(--smsotp-border,#8e918f);--_e:var(--smsotp-error,#f2b8b5);--_s:var(--smsotp-success,#6dd58c)}}
:host([hidden]){display:none}
[part~=container]{background:var(--_b);color:var(--_t);border:1px solid var(--_l);border-radius:var(--_r);padding:1rem;max-width:24rem}
.s{display:none}
[data-s=phone] .p,[data-s=sending] .p,[data-s=code] .k,[data-s=checking] .k,[data-s=verified] .v{display:block}
[part~=summary]{margin:0;font-weight:600;text-align:start}
[data-s=verified] slot[name=turnstile],[data-s=locked] slot[name=turnstile]{display:none}
.w{position:relative;display:inline-block;direction:ltr;margin:.25rem 0}
[part~=boxes]{position:absolute;inset:0;display:flex;font:600 1.5rem/1 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;pointer-events:none}
[part~=box]{box-sizing:border-box;width:2.1ch;margin:0 .15ch;border:1px solid var(--_l);border-radius:var(--_r);background:var(--_b)}
.f [part~=box].a{border:2px solid var(--_a)}
.w ::slotted(input){position:relative}
[part~=preview]{margin:0 0 .75rem;padding:.5rem .625rem;border-left:3px solid var(--_a);font-size:.875em}
[part~=preview] p{margin:0 0 .25rem;white-space:pre-wrap}
[part~=preview] small{color:var(--_m)}
.a2{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0 0}
[part~=button]{font:inherit;font-weight:600;min-height:2.75rem;padding:.5rem 1rem;border-radius:var(--_r);border:1px solid var(--_a);background:var(--_b);color:var(--_t);cursor:pointer}
[part~=primary]{background:var(--_a);color:var(--_o)}
[part~=button]:focus-visible{outline:2px solid var(--_a);outline-offset:2px}
[part~=button]:disabled{opacity:.6;cursor:default}
[part~=button][aria-disabled=true]{cursor:progress}
[part~=button][hidden]{display:none}
[part~=message]{margin:.5rem 0 0}
`;
