//! The only place that maps the relay's own types ([`crate::event`]) to the wire protocol's
//! (`shared`) and back. The gateway, the agent API and the HTTP channel speak the protocol;
//! everything behind them (the conversation core, the store) speaks the relay's types.

use crate::event::Phase;

pub fn phase(phase: Phase) -> shared::Phase {
    match phase {
        Phase::Bot => shared::Phase::Bot,
        Phase::Waiting => shared::Phase::Waiting,
        Phase::Agent => shared::Phase::Agent,
        Phase::Ended => shared::Phase::Ended,
    }
}
