//! Moves bridge JSON across to the page: `CustomEvent`s on the loader's `EventTarget`.

use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{CustomEvent, CustomEventInit, EventTarget};

use super::{command::Command, COMMAND_EVENT, WIDGET_EVENT};

#[derive(Clone)]
pub struct Bridge {
    target: EventTarget,
}

impl Bridge {
    pub fn new(target: EventTarget) -> Self {
        Self { target }
    }

    /// Emits `baton:event` with `detail` (a plain JS object parsed from the JSON text).
    /// Listeners run synchronously; an exception in one is reported by the browser and does
    /// not reach the widget.
    pub fn emit(&self, detail: &str) {
        let detail = js_sys::JSON::parse(detail).unwrap_or(JsValue::NULL);
        let init = CustomEventInit::new();
        init.set_detail(&detail);
        if let Ok(event) = CustomEvent::new_with_event_init_dict(WIDGET_EVENT, &init) {
            let _ = self.target.dispatch_event(&event);
        }
    }

    /// Calls `on_command` for every `baton:command` event, for the lifetime of the page.
    pub fn listen(&self, on_command: impl Fn(Command) + 'static) {
        let listener = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let detail = event.dyn_ref::<CustomEvent>().map(CustomEvent::detail);
            if let Some(command) = detail.as_ref().and_then(parse) {
                on_command(command);
            }
        });
        let _ = self.target.add_event_listener_with_callback(COMMAND_EVENT, listener.as_ref().unchecked_ref());
        listener.forget();
    }
}

/// A command from a JS value (`{cmd: ...}`); logs and gives `None` for anything else.
pub fn parse(value: &JsValue) -> Option<Command> {
    let json = js_sys::JSON::stringify(value).ok()?.as_string()?;
    match Command::parse(&json) {
        Ok(command) => Some(command),
        Err(err) => {
            web_sys::console::warn_1(&format!("[baton] {err}").into());
            None
        }
    }
}
