//! Writes the widget's frames ([`ClientFrame`]) as JSON text by hand, byte for byte what
//! `serde_json::to_string` writes with the derived `Serialize` (the tests compare the two on
//! every variant), without `serde_json` in the wasm (see `crate::json`). The match is
//! exhaustive: a frame added to `shared` does not build until it is written here.

use shared::{ClientFrame, Visitor};

use crate::json::Obj;

/// The frame's JSON text, as the relay reads it.
pub fn encode(frame: &ClientFrame) -> String {
    match frame {
        ClientFrame::Hello { v, site, resume, last_seq, visitor, languages } => {
            let mut o = tag("hello")
                .u64("v", u64::from(*v))
                .str("site", site)
                .some_str("resume", resume.as_deref())
                .u64("last_seq", *last_seq);
            if let Some(visitor) = visitor {
                o = o.raw("visitor", &visitor_fields(Obj::new(), visitor).end());
            }
            if !languages.is_empty() {
                o = o.strs("languages", languages);
            }
            o.end()
        }
        ClientFrame::Send { client_id, text, attachments } => {
            let o = tag("send").str("client_id", client_id).str("text", text);
            if attachments.is_empty() {
                o.end()
            } else {
                o.strs("attachments", attachments).end()
            }
        }
        ClientFrame::Identify(visitor) => visitor_fields(tag("identify"), visitor).end(),
        ClientFrame::Language { languages } => tag("language").strs("languages", languages).end(),
        ClientFrame::RequestHandover => tag("request_handover").end(),
        ClientFrame::CancelHandover => tag("cancel_handover").end(),
        ClientFrame::Rate { score } => tag("rate").u64("score", u64::from(*score)).end(),
        ClientFrame::Email { email } => tag("email").str("email", email).end(),
        ClientFrame::SkipEmail => tag("skip_email").end(),
        ClientFrame::Typing { on } => tag("typing").bool("on", *on).end(),
        ClientFrame::Ping => tag("ping").end(),
    }
}

fn tag(kind: &str) -> Obj {
    Obj::new().str("type", kind)
}

fn visitor_fields(o: Obj, v: &Visitor) -> Obj {
    o.some_str("email", v.email.as_deref())
        .some_str("name", v.name.as_deref())
        .some_str("user_id", v.user_id.as_deref())
        .some_str("user_hash", v.user_hash.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_is_written_as_the_derived_serializer_writes_it() {
        let visitor = Visitor {
            email: Some("ada@example.com".into()),
            name: Some("Ada \"the\" Lovelace\n".into()),
            user_id: Some("42".into()),
            user_hash: Some("ab12".into()),
        };
        let frames = [
            ClientFrame::Hello {
                v: 1,
                site: "demo".into(),
                resume: None,
                last_seq: 0,
                visitor: None,
                languages: vec![],
            },
            ClientFrame::Hello {
                v: 1,
                site: "shop\\é".into(),
                resume: Some("tok".into()),
                last_seq: u64::MAX,
                visitor: Some(visitor.clone()),
                languages: vec!["de-at".into(), "en".into()],
            },
            ClientFrame::Hello {
                v: 1,
                site: "s".into(),
                resume: None,
                last_seq: 3,
                visitor: Some(Visitor { name: Some("N".into()), ..Visitor::default() }),
                languages: vec!["fr".into()],
            },
            ClientFrame::Send {
                client_id: "c1".into(),
                text: "where is \u{1}my order?\t😀".into(),
                attachments: vec![],
            },
            ClientFrame::Send {
                client_id: "c2".into(),
                text: String::new(),
                attachments: vec!["a1".into(), "b2".into()],
            },
            ClientFrame::Identify(visitor),
            ClientFrame::Identify(Visitor { email: Some("a@b.c".into()), ..Visitor::default() }),
            ClientFrame::Language { languages: vec![] },
            ClientFrame::Language { languages: vec!["nl".into()] },
            ClientFrame::RequestHandover,
            ClientFrame::CancelHandover,
            ClientFrame::Rate { score: 5 },
            ClientFrame::Email { email: "ada@example.com".into() },
            ClientFrame::SkipEmail,
            ClientFrame::Typing { on: true },
            ClientFrame::Typing { on: false },
            ClientFrame::Ping,
        ];
        for frame in frames {
            assert_eq!(encode(&frame), serde_json::to_string(&frame).unwrap(), "{frame:?}");
        }
    }
}
