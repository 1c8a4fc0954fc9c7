//! `[sites.<key>.email_capture]`: whether and when the widget asks the visitor for their email
//! in a consent-worded prompt, the wording, and whether the address given becomes the
//! helpdesk contact's.
//!
//! ```toml
//! [sites.shop.email_capture]
//! when = "before_handover"      # "never", "before_handover" or "when_unavailable"
//! consent = "We use your email only to answer this request."
//! consent_texts = { de = "Wir nutzen Ihre E-Mail nur für die Antwort auf diese Anfrage." }
//! use_as_contact = false
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailCaptureConfig {
    /// When the prompt is shown. Absent: before the handover for helpdesks that take tickets
    /// (their answer comes by email), never for the others (the unavailable message still asks
    /// in words, as it always did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<CaptureWhen>,
    /// The prompt's consent wording; absent: the widget's own, in the visitor's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<String>,
    /// The wording per visitor language (a language tag), over `consent`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub consent_texts: BTreeMap<String, String>,
    /// Let the email the visitor gave (which the site did not sign: anyone can type anyone's
    /// address) find, create or match the helpdesk contact and be a ticket's requester, so the
    /// answer reaches it by email. Off: only an email the site signed does, and the one given
    /// goes to the agent as text (`Handover::email_line`).
    pub use_as_contact: bool,
}

/// `email_capture.when`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureWhen {
    /// No prompt.
    Never,
    /// Before a person is fetched (and when nobody is available).
    BeforeHandover,
    /// Only when nobody is available, for a follow-up.
    WhenUnavailable,
}

impl EmailCaptureConfig {
    /// When the prompt is shown on a site whose helpdesk takes tickets or not.
    pub fn when(&self, tickets: bool) -> CaptureWhen {
        match self.when {
            Some(when) => when,
            None if tickets => CaptureWhen::BeforeHandover,
            None => CaptureWhen::Never,
        }
    }

    /// The consent wording for a visitor reading `languages` (best first; each as given, then
    /// by its primary language), else the site's `consent`, else none (the widget's own).
    pub fn consent_for(&self, languages: &[String]) -> Option<&str> {
        languages
            .iter()
            .find_map(|tag| {
                let primary = shared::look::primary_language(tag);
                [tag.as_str(), primary].into_iter().find_map(|t| self.consent_texts.get(t))
            })
            .or(self.consent.as_ref())
            .map(String::as_str)
            .filter(|c| !c.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_ask_before_the_handover_unless_the_site_says_otherwise() {
        let unset = EmailCaptureConfig::default();
        assert_eq!(unset.when(true), CaptureWhen::BeforeHandover);
        assert_eq!(unset.when(false), CaptureWhen::Never);
        let never = EmailCaptureConfig { when: Some(CaptureWhen::Never), ..unset };
        assert_eq!(never.when(true), CaptureWhen::Never);
    }

    #[test]
    fn the_consent_is_the_visitors_language_then_the_sites_wording() {
        let config = EmailCaptureConfig {
            consent: Some("Only for this request.".into()),
            consent_texts: BTreeMap::from([("de".into(), "Nur für diese Anfrage.".into())]),
            ..EmailCaptureConfig::default()
        };
        assert_eq!(config.consent_for(&["fr".into(), "de-at".into()]), Some("Nur für diese Anfrage."));
        assert_eq!(config.consent_for(&["fr".into()]), Some("Only for this request."));
        assert_eq!(EmailCaptureConfig::default().consent_for(&["de".into()]), None);
    }
}
