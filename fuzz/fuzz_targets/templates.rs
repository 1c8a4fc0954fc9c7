//! The handover texts (`relay/src/templates.rs`): a site's template source (from the
//! configuration; it replaces one of the twelve texts, the others keep their defaults)
//! compiled, then every text rendered with visitor-controlled variables (name, email) and any
//! queue figures, worded in the visitor's languages. A broken template must be refused at load and a rendering
//! must end, bounded in time and memory, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relay::{
    config::HandoverConfig,
    templates::{wait_wording, Templates, Vars},
};

fuzz_target!(|data: &str| {
    // Input: the template source, then NUL-separated visitor name, email and agent name; the
    // queue figures come from the lengths. Plain-text seeds stay readable.
    let mut parts = data.split('\0');
    let source = parts.next().unwrap_or_default();
    let mut next = || parts.next().map(str::to_string);
    let (visitor_name, visitor_email, agent_name) = (next(), next(), next());
    // Then the visitor's language tags, best first (any text: unknown tags fall back to English).
    let languages: Vec<String> = parts.map(str::to_string).collect();
    let mut config = HandoverConfig::default();
    let field = match source.len() % 4 {
        0 => &mut config.text_message,
        1 => &mut config.unavailable_message,
        2 => &mut config.follow_up_saved_message,
        _ => &mut config.agent_joined_message,
    };
    *field = source.to_string();
    let Ok(templates) = Templates::compile(&config) else { return };
    let vars = Vars {
        visitor_name,
        visitor_email,
        queue_position: data.len() % 7,
        wait_estimate: wait_wording((data.len() as u64).pow(2), &languages),
        agent_name,
    };
    for (setting, _) in config.templates() {
        let _ = templates.render(setting, &vars);
    }
});
