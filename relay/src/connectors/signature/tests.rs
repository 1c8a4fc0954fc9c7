//! The shared checks: a configured secret header and HTTP Basic credentials, and an empty
//! secret accepting nothing. (Each helpdesk's own check has SPEC.md section 9's vectors in its
//! `webhook.rs`.)

use base64::{engine::general_purpose::STANDARD as BASE64, Engine};

use super::{test_headers as headers, *};

#[test]
fn shared_secret_and_basic_auth() {
    let h = headers(&[("X-Baton-Webhook-Secret", "s3cret")]);
    assert_eq!(shared_secret(&h, "x-baton-webhook-secret", "s3cret"), Ok(()));
    assert_eq!(shared_secret(&h, "X-Baton-Webhook-Secret", "other"), Err(SignatureError::Mismatch));
    assert!(matches!(shared_secret(&h, "X-Bot-Secret", "s3cret"), Err(SignatureError::Missing(_))));
    let basic = format!("Basic {}", BASE64.encode("baton:pw"));
    let h = headers(&[("Authorization", &basic)]);
    assert_eq!(basic_auth(&h, "baton", "pw"), Ok(()));
    assert_eq!(basic_auth(&h, "baton", "pw2"), Err(SignatureError::Mismatch));
    let bearer = headers(&[("Authorization", "Bearer x")]);
    assert!(matches!(basic_auth(&bearer, "baton", "pw"), Err(SignatureError::Malformed(_))));
}

#[test]
fn an_empty_secret_accepts_nothing_not_even_an_empty_header() {
    let empty = headers(&[("X-Baton-Webhook-Secret", "")]);
    assert_eq!(shared_secret(&empty, "X-Baton-Webhook-Secret", ""), Err(SignatureError::Mismatch));
    let basic = headers(&[("Authorization", &format!("Basic {}", BASE64.encode(":")))]);
    assert!(matches!(basic_auth(&basic, "", ""), Err(SignatureError::BadKey(_))));
}
