//! The visitor's language's texts, when it is not English: `widget/texts/<code>.json`, which
//! the relay serves beside the wasm (precompressed, under the build's immutable URLs), fetched
//! once per page the first time the widget picks that language. The widget shows English until
//! the table arrives, then draws itself again in the language (`i18n::Lang::shown`). A table
//! that cannot be fetched or read leaves the widget in English for the page's life, with a
//! warning on the console.

use std::cell::RefCell;

use leptos::prelude::Update;

use wasm_bindgen::JsValue;

use super::js::get;
use crate::{
    app::rt,
    i18n::{self, Lang, Texts},
};

thread_local! {
    /// The languages asked for already (each once per page).
    static ASKED: RefCell<Vec<Lang>> = const { RefCell::new(Vec::new()) };
}

/// Fetches `lang`'s table unless the page has it or asked for it already.
pub fn ensure(lang: Lang) {
    if !i18n::missing(lang) || ASKED.with(|a| a.borrow().contains(&lang)) {
        return;
    }
    ASKED.with(|a| a.borrow_mut().push(lang));
    let url = format!("{}texts/{}.json", rt().widget, lang.code());
    super::js::fetch_text(&url, move |text| {
        // An object of strings by key (`JSON.parse`, read through `Reflect`).
        match text.and_then(|text| js_sys::JSON::parse(&text).ok()).filter(JsValue::is_object) {
            Some(table) => {
                i18n::add(lang, Texts::read(|key| get(&table, key).as_string().map(i18n::keep)));
                // Whatever reads the chat state draws again, in the language now shown.
                rt().store.chat.update(|_| {});
            }
            None => web_sys::console::warn_1(&format!("[baton] cannot read the texts of {}", lang.code()).into()),
        }
    });
}
