//! Every helpdesk's webhook parser (`relay/src/connectors/*/webhook.rs`) on the same body: each must
//! answer events or a parse error, never panic, and what it answers must survive the store's
//! JSON round trip (events are stored before they are processed).
#![no_main]

use libfuzzer_sys::fuzz_target;
use relay::{
    connectors::InboundEvent,
    fuzzing::{parse_webhook, WEBHOOK_PARSERS},
};

fuzz_target!(|body: &[u8]| {
    for provider in WEBHOOK_PARSERS {
        let Some(Ok(events)) = parse_webhook(provider, body) else { continue };
        for event in events {
            let stored = serde_json::to_string(&event).expect("an event serialises");
            let back: InboundEvent = serde_json::from_str(&stored).expect("a stored event reads back");
            assert_eq!(back, event, "{provider}");
        }
    }
});
