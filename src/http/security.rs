//! Security headers on every answer: API, web app, static files and Socket.IO alike.
//!
//! - `X-Content-Type-Options: nosniff`: a browser never guesses a type other than the one
//!   sent (a JSON error echoing input cannot be run as a script or styled as CSS).
//! - `Referrer-Policy: same-origin`: addresses (event and reservation ids in the path) are not
//!   sent to other sites.
//! - [`CONTENT_SECURITY_POLICY`]: the web app's own scripts only, no inline script, no
//!   framing (`frame-ancestors 'none'`, with `X-Frame-Options: DENY` for older browsers).
//!   Styles allow `'unsafe-inline'` because React `style` attributes and the ALTCHA widget
//!   set inline styles; the widget solves its proof of work in a Web Worker it may start
//!   from a `blob:` URL, hence `worker-src 'self' blob:`. Socket.IO needs `ws:`/`wss:` in
//!   `connect-src`. The browser tests fail on any CSP violation in the console.
//!
//! Set with tower-http's `SetResponseHeaderLayer`, only where a handler has not set the
//! header itself.

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// The one Content-Security-Policy of the whole site.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; \
     worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; \
     object-src 'none'";

/// `Referrer-Policy` of every answer.
pub const REFERRER_POLICY: &str = "same-origin";

/// `router` with the security headers added to every answer it gives.
pub fn with_security_headers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let set = |name, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    router
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, REFERRER_POLICY))
        .layer(set(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
}
