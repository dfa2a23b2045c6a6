//! The browser API's rules (`/v1/browser/*`): what makes it safe to call from any page
//! without a secret key. The worker does the I/O (routes, CORS headers, KV, the HTTP call to
//! Turnstile); every decision is here, pure, with time and randomness from the caller.
//!
//! | rule | module |
//! |---|---|
//! | the verification JWT: sign, and verify as a site's backend does | [`token`] |
//! | the signing keys (a private JWK set) and the published JWKS | [`keys`] |
//! | publishable keys (`pk_…`), their origins, and which key type a route takes | [`origin`] |
//! | browser request bodies: only the fields a browser may set | [`request`] |
//! | Turnstile siteverify: the form to send, the answer's meaning | [`turnstile`] |
//! | an OTP's client secret (`X-Client-Secret`): who may resend or check it | [`client_secret`] |

pub mod client_secret;
pub mod keys;
pub mod origin;
pub mod request;
pub mod token;
pub mod turnstile;
