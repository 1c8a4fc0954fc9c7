//! Inline SVG icons (markup only; colours come from `currentColor`).

use leptos::prelude::*;

pub fn close() -> impl IntoView {
    view! {
        <svg class="baton-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z" />
        </svg>
    }
}

pub fn send() -> impl IntoView {
    view! {
        <svg class="baton-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z" />
        </svg>
    }
}
