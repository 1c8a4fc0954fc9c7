//! What the connectors share about HTTP: one client per connector with connect and request
//! timeouts, and the sorting of helpdesk answers into [`ProviderError`]s the outbox knows how to
//! retry.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::{header::HeaderMap, Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

use super::ProviderError;

/// The longest a connection to a helpdesk may take to open. Shorter than the request timeout:
/// a helpdesk that does not even accept the connection is down, and its call is retried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Every connector's client (all connectors build theirs here): a request, from connecting to
/// the last byte of the answer, fails after `timeout_seconds`; connecting alone after 5 s.
pub fn client(timeout_seconds: u64) -> Result<reqwest::Client, ProviderError> {
    let timeout = Duration::from_secs(timeout_seconds.max(1));
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .timeout(timeout)
        .user_agent(concat!("Baton/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ProviderError::Config(format!("HTTP client: {e}")))
}

/// A request for `path` below `base_url` (a trailing `/` there is ignored), asking for JSON;
/// the connector adds its credentials.
pub fn request(client: &reqwest::Client, method: Method, base_url: &str, path: &str) -> RequestBuilder {
    client.request(method, format!("{}{path}", base_url.trim_end_matches('/'))).header("Accept", "application/json")
}

/// A transport failure (connection refused, timeout, TLS): the helpdesk may come back. The
/// detail starts with [`TIMED_OUT`] or [`CANNOT_CONNECT`] when it is one of those, so the
/// dashboard's "Test connection" can say which.
pub fn transport(error: reqwest::Error) -> ProviderError {
    let cause = std::error::Error::source(&error).map(|source| format!(" ({source})")).unwrap_or_default();
    let prefix = if error.is_timeout() {
        TIMED_OUT
    } else if error.is_connect() {
        CANNOT_CONNECT
    } else {
        "transport"
    };
    ProviderError::Unavailable(format!("{prefix}: {}{cause}", error.without_url()))
}

/// How [`transport`] begins the detail of a call that got no answer in time.
pub const TIMED_OUT: &str = "timed out";
/// How [`transport`] begins the detail of a call that could not connect.
pub const CANNOT_CONNECT: &str = "cannot connect";

/// Passes 2xx answers through and sorts the rest.
pub async fn check(response: Response) -> Result<Response, ProviderError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = retry_after(response.headers(), SystemTime::now());
    let body = response.text().await.unwrap_or_default();
    let detail = format!("{status}: {}", body.chars().take(2000).collect::<String>());
    Err(match status {
        StatusCode::TOO_MANY_REQUESTS => ProviderError::RateLimited { retry_after },
        s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => ProviderError::Unavailable(detail),
        _ => ProviderError::Rejected(detail),
    })
}

/// Sends `request` and sorts the answer ([`check`]); a 2xx body is read as JSON, and one that is
/// empty or not JSON is `Null`: many writes (a PUT, a PATCH, a 202) answer nothing worth
/// reading, and that is not a failure.
pub async fn send(request: RequestBuilder) -> Result<Value, ProviderError> {
    let response = check(request.send().await.map_err(transport)?).await?;
    Ok(response.json().await.unwrap_or(Value::Null))
}

/// Like [`send`], for a helpdesk whose every answer is JSON: one that is not is a failure
/// (retried, like a helpdesk that is down).
pub async fn send_expecting_json(request: RequestBuilder) -> Result<Value, ProviderError> {
    let response = check(request.send().await.map_err(transport)?).await?;
    response.json().await.map_err(|e| ProviderError::Unavailable(format!("unreadable answer: {e}")))
}

/// The longest wait a helpdesk can ask for. An enormous `Retry-After` (or a reset time years
/// ahead) would park a handover forever and overflow the retry time; past an hour the
/// outbox asks again.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// How long the helpdesk asks us to wait: `Retry-After` (seconds or an HTTP date, any case) or
/// Intercom's `X-RateLimit-Reset` (Unix seconds), at most [`MAX_RETRY_AFTER`].
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    asked_wait(headers, now).map(|wait| wait.min(MAX_RETRY_AFTER))
}

fn asked_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(value) = headers.get("retry-after").and_then(|v| v.to_str().ok()) {
        let value = value.trim();
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        if let Ok(at) = httpdate::parse_http_date(value) {
            return Some(at.duration_since(now).unwrap_or_default());
        }
    }
    let reset = headers.get("x-ratelimit-reset").and_then(|v| v.to_str().ok())?.trim().parse::<u64>().ok()?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_in_seconds_dates_and_reset_times() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(retry_after(&headers(&[("retry-after", "7")]), now), Some(Duration::from_secs(7)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(retry_after(&headers(&[("retry-after", &date)]), now), Some(Duration::from_secs(30)));
        assert_eq!(retry_after(&headers(&[("x-ratelimit-reset", "1700000012")]), now), Some(Duration::from_secs(12)));
        assert_eq!(retry_after(&headers(&[("x-ratelimit-reset", "1600000000")]), now), Some(Duration::ZERO));
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
        // Absurd waits are capped, never overflowed.
        assert_eq!(retry_after(&headers(&[("retry-after", "18446744073709551615")]), now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after(&headers(&[("retry-after", "99999999999999999999999")]), now), None);
        assert_eq!(retry_after(&headers(&[("x-ratelimit-reset", "18446744073709551615")]), now), Some(MAX_RETRY_AFTER));
        let far = httpdate::fmt_http_date(now + Duration::from_secs(10 * 365 * 86_400));
        assert_eq!(retry_after(&headers(&[("Retry-After", &far)]), now), Some(MAX_RETRY_AFTER));
    }
}
