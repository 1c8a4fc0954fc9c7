//! The layout and form pieces of every dashboard page (maud escapes every value). Forms are
//! plain HTML: each input has a `<label>`, an error is tied to its input with
//! `aria-describedby` and `aria-invalid`, and the page's first problem is announced in a
//! `role="alert"` box; everything works from the keyboard, without script.

use maud::{html, Markup, DOCTYPE};

use super::session::Signed;

/// A whole page: header with navigation (and sign-out when signed in), the title, `body`.
pub fn page(title: &str, signed: Option<&Signed>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Baton dashboard" }
                link rel="stylesheet" href="/admin/admin.css";
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    a class="brand" href="/admin/" { "Baton" }
                    @if let Some(signed) = signed {
                        nav aria-label="Main" {
                            @if signed.0.account.role == crate::store::admin::Role::Owner {
                                a href="/admin/sites" { "Sites" }
                                a href="/admin/agents" { "Agents" }
                            }
                            a href="/admin/inbox" { "Inbox" }
                        }
                        form class="sign-out" method="post" action="/admin/sign-out" {
                            (csrf(signed.csrf()))
                            span { (signed.email()) }
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A problem with the whole request or form, announced.
pub fn problem(message: &str) -> Markup {
    html! { p class="problem" role="alert" { (message) } }
}

/// A confirmation after a change.
pub fn notice(message: &str) -> Markup {
    html! { p class="notice" role="status" { (message) } }
}

/// What a page says above its form after a request: nothing, a confirmation or a problem.
pub enum Said<'a> {
    Nothing,
    Notice(&'a str),
    Problem(&'a str),
}

impl maud::Render for Said<'_> {
    fn render(&self) -> Markup {
        match self {
            Said::Nothing => html! {},
            Said::Notice(message) => notice(message),
            Said::Problem(message) => problem(message),
        }
    }
}

/// How an input is drawn.
#[derive(Clone, Copy)]
pub enum Input {
    Line,
    Email,
    Password,
    NewPassword,
    /// Several lines (`rows`).
    Text(u8),
    /// A credential: typed hidden, never filled in by the page, not required (empty keeps the
    /// one set).
    Secret,
}

/// A labelled input with its hint and error.
pub fn field(name: &str, label: &str, value: &str, input: Input, hint: Option<&str>, error: Option<&str>) -> Markup {
    let id = format!("f-{}", name.replace('.', "-"));
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    let described = described_by(&id, hint.is_some(), error.is_some());
    let invalid = error.map(|_| "true");
    html! {
        div class={ "field" @if error.is_some() { " has-error" } } {
            label for=(id) { (label) }
            @if let Some(hint) = hint { p class="hint" id=(hint_id) { (hint) } }
            @match input {
                Input::Text(rows) => {
                    textarea id=(id) name=(name) rows=(rows) aria-describedby=[described.as_deref()] aria-invalid=[invalid] { (value) }
                }
                Input::Line => input id=(id) name=(name) type="text" value=(value) aria-describedby=[described.as_deref()] aria-invalid=[invalid];
                Input::Email => input id=(id) name=(name) type="email" autocomplete="username" value=(value) required aria-describedby=[described.as_deref()] aria-invalid=[invalid];
                Input::Password => input id=(id) name=(name) type="password" autocomplete="current-password" required aria-describedby=[described.as_deref()] aria-invalid=[invalid];
                Input::Secret => input id=(id) name=(name) type="password" autocomplete="off" value=(value) aria-describedby=[described.as_deref()] aria-invalid=[invalid];
                Input::NewPassword => input id=(id) name=(name) type="password" autocomplete="new-password" required minlength=(super::password::MIN_CHARS) aria-describedby=[described.as_deref()] aria-invalid=[invalid];
            }
            @if let Some(error) = error { p class="error" id=(error_id) { (error) } }
        }
    }
}

/// The `aria-describedby` of input `id`: its hint's and its error's ids, when shown.
fn described_by(id: &str, hint: bool, error: bool) -> Option<String> {
    let ids: Vec<String> =
        [hint.then(|| format!("{id}-hint")), error.then(|| format!("{id}-error"))].into_iter().flatten().collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// A labelled checkbox (sent as `on` when ticked, absent when not).
pub fn checkbox(name: &str, label: &str, checked: bool, hint: Option<&str>) -> Markup {
    let id = format!("f-{}", name.replace('.', "-"));
    let hint_id = format!("{id}-hint");
    html! {
        div class="field check" {
            input id=(id) name=(name) type="checkbox" checked[checked] aria-describedby=[hint.map(|_| hint_id.as_str())];
            label for=(id) { (label) }
            @if let Some(hint) = hint { p class="hint" id=(hint_id) { (hint) } }
        }
    }
}

/// A labelled choice among `options` (value, label).
pub fn select(name: &str, label: &str, options: &[(&str, &str)], selected: &str) -> Markup {
    select_with(name, label, options, selected, None)
}

/// [`select`] with a hint.
pub fn select_with(name: &str, label: &str, options: &[(&str, &str)], selected: &str, hint: Option<&str>) -> Markup {
    select_field(name, label, options, selected, hint, None)
}

/// [`select`] with a hint and an error (a value that is none of the options).
pub fn select_field(
    name: &str,
    label: &str,
    options: &[(&str, &str)],
    selected: &str,
    hint: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let id = format!("f-{}", name.replace('.', "-"));
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    let described = described_by(&id, hint.is_some(), error.is_some());
    html! {
        div class={ "field" @if error.is_some() { " has-error" } } {
            label for=(id) { (label) }
            @if let Some(hint) = hint { p class="hint" id=(hint_id) { (hint) } }
            select id=(id) name=(name) aria-describedby=[described.as_deref()] aria-invalid=[error.map(|_| "true")] {
                @for (value, text) in options {
                    option value=(value) selected[*value == selected] { (text) }
                }
            }
            @if let Some(error) = error { p class="error" id=(error_id) { (error) } }
        }
    }
}

/// A table with column `headers` and `rows` of cells.
pub fn table(headers: &[&str], rows: impl IntoIterator<Item = Vec<Markup>>) -> Markup {
    html! {
        table {
            thead { tr { @for header in headers { th scope="col" { (header) } } } }
            tbody { @for row in rows { tr { @for cell in row { td { (cell) } } } } }
        }
    }
}
