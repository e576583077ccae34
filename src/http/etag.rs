//! Entity tags and content codings.
//!
//! The geometry and the seat status carry strong `ETag`s (a hash of their JSON). A strong tag
//! names one exact byte sequence, and the gzip or br body the compression layer makes of that
//! JSON is another sequence: sent under the same strong tag, a cache holding both could serve
//! one as the other, or join ranges of both. So, as Apache's `mod_deflate` does, a compressed
//! answer's strong tag gets the coding appended (`"abc"` → `"abc-gzip"`), outside the
//! compression layer, and `If-None-Match` is read with and without the suffix: a client
//! revalidating the gzip body gets its 304, and the 304 repeats the tag it sent.

use axum::extract::Request;
use axum::http::header::{CONTENT_ENCODING, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// The content codings the compression layer (or a handler) may apply.
const CODINGS: [&str; 4] = ["gzip", "br", "deflate", "zstd"];

/// The strong tag `etag` (quoted) with `-coding` inside its quotes.
fn with_coding(etag: &str, coding: &str) -> Option<String> {
    let inner = etag.strip_prefix('"')?.strip_suffix('"')?;
    Some(format!("\"{inner}-{coding}\""))
}

/// `tag` without a `-coding` suffix inside its quotes (as it was before coding).
fn without_coding(tag: &str) -> String {
    CODINGS
        .iter()
        .find_map(|c| Some(format!("{}\"", tag.strip_suffix(&format!("-{c}\""))?)))
        .unwrap_or_else(|| tag.to_owned())
}

/// The tags `If-None-Match` lists.
fn sent_tags(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
}

/// True when `If-None-Match` names `etag` (or `*`), weakly compared, with or without a
/// content-coding suffix.
pub(super) fn matches(headers: &HeaderMap, etag: &str) -> bool {
    sent_tags(headers).any(|t| {
        let t = t.strip_prefix("W/").unwrap_or(t);
        t == "*" || t == etag || without_coding(t) == etag
    })
}

/// Middleware outside the compression layer: a coded answer's strong `ETag` names its
/// coding; a 304 repeats the coded tag the client sent.
pub(super) async fn per_coding(req: Request, next: Next) -> Response {
    let sent: Vec<String> = sent_tags(req.headers()).map(str::to_owned).collect();
    let mut res = next.run(req).await;
    let Some(etag) = res
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .filter(|t| t.starts_with('"'))
        .map(str::to_owned)
    else {
        return res;
    };
    let coded = match res
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
    {
        Some(coding) if coding != "identity" => with_coding(&etag, coding),
        _ if res.status() == StatusCode::NOT_MODIFIED => sent
            .iter()
            .map(|t| t.strip_prefix("W/").unwrap_or(t))
            .find(|t| *t != etag && without_coding(t) == etag)
            .map(str::to_owned),
        _ => None,
    };
    if let Some(v) = coded.and_then(|t| HeaderValue::from_str(&t).ok()) {
        res.headers_mut().insert(ETAG, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inm(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn a_coding_goes_inside_the_quotes() {
        assert_eq!(with_coding("\"abc\"", "gzip").unwrap(), "\"abc-gzip\"");
        assert_eq!(with_coding("W/\"abc\"", "gzip"), None);
        assert_eq!(without_coding("\"abc-br\""), "\"abc\"");
        assert_eq!(without_coding("\"abc-x\""), "\"abc-x\"");
    }

    #[test]
    fn if_none_match_is_read_with_and_without_the_coding() {
        for sent in [
            "\"abc\"",
            "\"abc-gzip\"",
            "W/\"abc-br\"",
            "\"zz\", \"abc\"",
            "*",
        ] {
            assert!(matches(&inm(sent), "\"abc\""), "{sent}");
        }
        for sent in ["\"abcd\"", "\"ab\"", "\"abc-gzipx\""] {
            assert!(!matches(&inm(sent), "\"abc\""), "{sent}");
        }
    }
}
