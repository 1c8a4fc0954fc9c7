//! Conversation leases: with several relays on one database, the actor of a conversation runs
//! on the relay holding its lease (`conversation::lease` takes, renews and hands them over).

/// What [`super::Store::acquire_lease`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseOutcome {
    /// The caller holds the lease now.
    Acquired,
    /// Another actor holds it and has not let it expire.
    Held { holder: String, node: String },
}

/// What [`super::Store::renew_leases`] found of one lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// Still the caller's; another relay asked for it if `release_requested`.
    Kept { release_requested: bool },
    /// It expired and another actor took it, or it was released.
    Lost,
}

impl LeaseOutcome {
    /// Someone else holds the lease: who, as the lease row says (`None`: it was released in
    /// between, and the next try takes it).
    pub(super) fn held_by(current: Option<(String, String)>) -> Self {
        let (holder, node) = current.unwrap_or_default();
        LeaseOutcome::Held { holder, node }
    }
}

/// The renewals of `leases` in their order, from the `(conversation, holder, release
/// requested)` rows a renewing statement returned (the leases still held).
pub(super) fn renewals(leases: &[(&str, &str)], kept: Vec<(String, String, bool)>) -> Vec<Renewal> {
    let kept: std::collections::HashMap<(String, String), bool> =
        kept.into_iter().map(|(conversation, holder, requested)| ((conversation, holder), requested)).collect();
    leases
        .iter()
        .map(|(conversation, holder)| {
            kept.get(&((*conversation).to_owned(), (*holder).to_owned()))
                .map_or(Renewal::Lost, |&release_requested| Renewal::Kept { release_requested })
        })
        .collect()
}
