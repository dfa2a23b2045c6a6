//! `/admin/`: the operator's dashboard (docs/admin.md), in every deployment. Its files are
//! static — `www/admin/` and uPlot, assembled into `worker/public/admin/` by
//! `scripts/build-admin.sh`, which every build of the worker runs — and are served from the
//! `ASSETS` binding (wrangler.toml `[assets]`) through the worker, which runs first
//! (`run_worker_first`) so that every answer under `/admin/`, a 404 included, carries the
//! headers below. The page holds no secret and no data: it asks the API (`/v1/account`,
//! `/v1/stats`) with the secret key the operator types, which stays in the tab's memory.
//!
//! Why assets and not files compiled into the worker: the page and uPlot (~50 KB minified)
//! would grow every isolate's script for a page few requests ask for; assets are served by
//! Cloudflare's asset store and cost the worker one call. Why through the worker and not
//! a `_headers` file: one place (here) says what the page may do, tested on workerd like
//! the rest (tests/worker/admin.test.mjs).

use worker::*;

/// The `ASSETS` binding (wrangler.toml `[assets]`).
const ASSETS: &str = "ASSETS";

/// The page's Content-Security-Policy: its own scripts and styles only (no inline script or
/// style, no `eval`), requests to this origin only, no frames, no `<base>`, no form posts
/// (the sign-in form is handled by script). uPlot draws on a canvas and sets sizes through
/// the CSSOM, which `style-src` does not restrict.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

/// `path` is the dashboard's (`/admin`, `/admin/…`).
pub fn is_admin_path(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// The answer to a dashboard path: `/admin` redirects to `/admin/` (so the page's relative
/// URLs resolve), `GET` and `HEAD` are served from the assets, other methods are 405.
pub async fn serve(req: Request, env: &Env) -> Result<Response> {
    let res = match crate::pipeline::known_method(&req) {
        Some(Method::Get | Method::Head) if req.path() == "/admin" => {
            let mut url = req.url()?;
            url.set_path("/admin/");
            Response::redirect_with_status(url, 308)?
        }
        Some(Method::Get | Method::Head) => match env.assets(ASSETS) {
            Ok(assets) => assets.fetch_request(req).await?,
            Err(_) => Response::error(
                "no ASSETS binding: /admin/ is served from worker/public/admin (scripts/build-admin.sh)",
                404,
            )?,
        },
        _ => {
            let headers = Headers::new();
            headers.set("Allow", "GET, HEAD")?;
            Response::error("GET or HEAD", 405)?.with_headers(headers)
        }
    };
    with_headers(res)
}

/// The answer with the page's security headers (its own headers kept, copied: an asset's
/// are immutable).
fn with_headers(res: Response) -> Result<Response> {
    let headers = Headers::new();
    for (name, value) in res.headers().entries() {
        headers.set(&name, &value)?;
    }
    headers.set("Content-Security-Policy", CSP)?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Referrer-Policy", "no-referrer")?;
    headers.set("X-Frame-Options", "DENY")?;
    headers.set("Cross-Origin-Opener-Policy", "same-origin")?;
    // Revalidated on every load: a new deploy's page and its modules arrive together.
    headers.set("Cache-Control", "no-cache")?;
    Ok(res.with_headers(headers))
}
