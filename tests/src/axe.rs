//! Accessibility checks of what a [`Browser`] shows: axe-core (npm `axe-core`, installed into
//! `.tools/` by `scripts/tools.sh`; nothing is fetched at test time) with the WCAG 2 A and AA
//! rules and axe's best practices, in the page and in open shadow roots (the widget's); and a
//! keyboard walk: Tab reaches every control shown, and each one shows where the focus is.

use std::{sync::OnceLock, time::Duration};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use serde::Deserialize;
use serde_json::Value;

use crate::browser::Browser;

/// The rule tags checked: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and best practices.
const TAGS: &str = r#"["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]"#;

/// One rule broken, with the elements that break it.
#[derive(Debug, Deserialize)]
pub struct Violation {
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    pub help: String,
    pub nodes: Vec<Node>,
}

#[derive(Debug, Deserialize)]
pub struct Node {
    /// CSS selectors to the element; an inner list goes through shadow roots.
    pub target: Value,
    pub html: String,
    #[serde(rename = "failureSummary")]
    pub failure_summary: Option<String>,
}

/// axe-core's browser build, read once.
fn source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = crate::workspace_root().join(".tools/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("axe-core is not installed ({}: {e}); run scripts/tools.sh browser to install it", path.display())
        })
    })
}

/// The violations axe-core finds in the page as it is now.
pub async fn violations(browser: &Browser) -> Vec<Violation> {
    let loaded = browser.eval("return typeof window.axe === 'object';").await;
    if loaded != Value::Bool(true) {
        // Run through WebDriver, so the page's CSP (no inline script) does not apply.
        browser.eval(&format!("{}\n;return typeof window.axe;", source())).await;
    }
    // Colours are judged as drawn: let finite animations (the panel fading in) end first, in the
    // page and in shadow roots (each root lists only its own).
    browser
        .eval(
            "const roots = [document, ...Array.from(document.querySelectorAll('*')).filter(e => e.shadowRoot).map(e => e.shadowRoot)]; \
             const running = roots.flatMap(r => r.getAnimations()).filter(a => a.effect && \
             a.effect.getComputedTiming().iterations !== Infinity && a.playState === 'running'); \
             return Promise.race([Promise.all(running.map(a => a.finished.catch(() => null))), \
             new Promise(done => setTimeout(done, 2000))]).then(() => running.length);",
        )
        .await;
    let script = format!(
        "return window.axe.run(document, {{ runOnly: {{ type: 'tag', values: {TAGS} }}, resultTypes: ['violations'] }})\
         .then(r => r.violations.map(v => ({{ id: v.id, impact: v.impact, help: v.help, \
         nodes: v.nodes.map(n => ({{ target: n.target, html: n.html, failureSummary: n.failureSummary }})) }})));"
    );
    let found = browser.eval(&script).await;
    serde_json::from_value(found.clone()).unwrap_or_else(|e| panic!("axe-core's answer unread ({e}): {found}"))
}

/// The violations, one rule a paragraph with each element, for a failure message.
pub fn describe(violations: &[Violation]) -> String {
    let mut text = String::new();
    for v in violations {
        text.push_str(&format!("\n- {} ({}): {}\n", v.id, v.impact.as_deref().unwrap_or("?"), v.help));
        for node in &v.nodes {
            let summary = node.failure_summary.as_deref().unwrap_or_default().replace('\n', " ");
            text.push_str(&format!("    at {}: {}\n      {}\n", node.target, node.html, summary));
        }
    }
    text
}

/// Fails naming every violation axe-core finds in `state` (the page and what it shows).
pub async fn assert_clean(browser: &Browser, state: &str) {
    let found = violations(browser).await;
    println!("axe-core: {} rule(s) broken on {state}", found.len());
    assert!(found.is_empty(), "axe-core: {} rule(s) broken on {state}:{}", found.len(), describe(&found));
}

/// Every control shown (in the page and in open shadow roots): links, buttons, inputs, selects,
/// text areas and elements with a non-negative `tabindex`, each described by tag, id, name and
/// text and numbered in document order. Radio buttons count once per group.
const CONTROLS: &str = r#"
const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
  + (el.getAttribute('name') ? '[name=' + el.getAttribute('name') + ']' : '')
  + (el.getAttribute('data-testid') ? '[data-testid=' + el.getAttribute('data-testid') + ']' : '')
  + ' "' + (el.textContent || el.value || '').trim().slice(0, 30) + '"';
const shown = el => {
  if (el.disabled || el.closest('[inert]')) return false;
  const style = getComputedStyle(el);
  return el.getClientRects().length > 0 && style.visibility !== 'hidden' && style.display !== 'none';
};
const all = [];
const walk = root => {
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) walk(el.shadowRoot);
    const tag = el.tagName.toLowerCase();
    const control = (tag === 'a' && el.hasAttribute('href')) || tag === 'button' || tag === 'select'
      || tag === 'textarea' || (tag === 'input' && el.type !== 'hidden')
      || (el.hasAttribute('tabindex') && el.tabIndex >= 0);
    if (!control || el.tabIndex < 0 || !shown(el)) continue;
    if (tag === 'input' && el.type === 'radio' && all.some(o => o.el.type === 'radio' && o.el.name === el.name)) continue;
    all.push({ el, name: all.length + ': ' + describe(el) });
  }
};
walk(document);
"#;

/// The element with the focus, through shadow roots, and whether it shows it (an outline or a
/// box shadow).
const FOCUSED: &str = r#"
let el = document.activeElement;
while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
if (!el || el === document.body) return null;
const style = getComputedStyle(el);
const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
const ring = style.boxShadow && style.boxShadow !== 'none';
const at = all.findIndex(c => c.el === el);
return { name: at < 0 ? 'not a control shown: ' + describe(el) : all[at].name, visible: outline || !!ring, outline: style.outlineStyle + ' ' + style.outlineWidth, shadow: style.boxShadow };
"#;

/// Fails unless Tab reaches every control shown and each shows its focus.
pub async fn assert_keyboard_usable(browser: &Browser, state: &str) {
    let problems = keyboard_problems(browser).await;
    assert!(problems.is_empty(), "from the keyboard, on {state}:\n{}", problems.join("\n"));
}

/// Presses Tab through the page from its start: the controls shown that it never reaches, and
/// those that show no focus (neither outline nor box shadow).
pub async fn keyboard_problems(browser: &Browser) -> Vec<String> {
    let controls = browser.eval(&format!("{CONTROLS} return all.map(c => c.name);")).await;
    let controls: Vec<String> = serde_json::from_value(controls).expect("the controls");
    browser.eval("if (document.activeElement) document.activeElement.blur(); window.focus();").await;
    let mut reached: Vec<String> = Vec::new();
    let mut unseen_focus = Vec::new();
    // Twice the controls: a date input takes a Tab for each of its parts.
    for _ in 0..2 * controls.len() + 3 {
        let tab = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: '\u{E004}' })
            .then(KeyAction::Up { value: '\u{E004}' });
        browser.client.perform_actions(tab).await.unwrap_or_else(|e| panic!("press Tab: {e}"));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let focused = browser.eval(&format!("{CONTROLS} {FOCUSED}")).await;
        let Some(name) = focused["name"].as_str().map(str::to_string) else { continue };
        if reached.len() > 1 && reached[0] == name {
            break; // round the page once
        }
        if reached.contains(&name) {
            continue; // the next part of the same control
        }
        if focused["visible"] != Value::Bool(true) {
            unseen_focus.push(format!("{name} (outline {}, box-shadow {})", focused["outline"], focused["shadow"]));
        }
        reached.push(name);
    }
    println!("keyboard: Tab reached {} of the {} controls shown", reached.len(), controls.len());
    let mut problems: Vec<String> = controls
        .iter()
        .filter(|c| !reached.contains(c))
        .map(|c| format!("Tab never reaches {c} (reached in order: {})", reached.join(", ")))
        .collect();
    problems.extend(unseen_focus.into_iter().map(|c| format!("the focus is not shown on {c}")));
    problems
}
