//! Chat state (pure, natively tested) and, in the browser, the reactive store around it.

pub mod files;
pub mod model;

pub use model::{Bubble, ChatState, Connection, Delivery, Effect, EmailError, EmailPrompt, SendError, Summary};
