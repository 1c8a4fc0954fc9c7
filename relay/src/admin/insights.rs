//! The Insights page: per day (UTC) over a chosen range, the site's conversations and those
//! handed to a person, the handover rate, handovers by trigger and by provider, and the
//! visitors' ratings; a bar chart drawn here as SVG (no script, no CDN) and the same figures
//! as CSV. Counted from the conversations' stored state: a conversation handed over twice
//! counts once, with its last trigger.

use std::collections::BTreeMap;

use axum::{
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::{session::SiteOwner, view, AdminError};
use crate::{state::AppState, store::admin::ConversationFacts};

/// The longest range shown, in days.
const MAX_DAYS: i64 = 366;
/// The most conversations counted for one page.
const MAX_CONVERSATIONS: u32 = 200_000;

#[derive(Deserialize, Default)]
pub struct Range {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// One day's figures.
#[derive(Default, Clone, Copy)]
struct Day {
    conversations: u32,
    handovers: u32,
}

/// What the page shows.
struct Figures {
    from: NaiveDate,
    to: NaiveDate,
    days: BTreeMap<NaiveDate, Day>,
    by_reason: BTreeMap<&'static str, u32>,
    by_provider: BTreeMap<&'static str, u32>,
    ratings: Vec<u8>,
}

impl Figures {
    fn count(from: NaiveDate, to: NaiveDate, facts: &[ConversationFacts]) -> Self {
        let mut days: BTreeMap<NaiveDate, Day> =
            from.iter_days().take_while(|d| *d <= to).map(|d| (d, Day::default())).collect();
        let (mut by_reason, mut by_provider, mut ratings) = (BTreeMap::new(), BTreeMap::new(), Vec::new());
        for fact in facts {
            let Some(day) = DateTime::from_timestamp_millis(fact.created_at).map(|t| t.date_naive()) else { continue };
            let entry = days.entry(day).or_default();
            entry.conversations += 1;
            if let Some(reason) = fact.reason {
                entry.handovers += 1;
                *by_reason.entry(reason.as_str()).or_insert(0) += 1;
                *by_provider.entry(fact.provider.map_or("unknown", |p| p.name())).or_insert(0) += 1;
            }
            ratings.extend(fact.rating);
        }
        Self { from, to, days, by_reason, by_provider, ratings }
    }

    fn total(&self) -> Day {
        self.days.values().fold(Day::default(), |sum, d| Day {
            conversations: sum.conversations + d.conversations,
            handovers: sum.handovers + d.handovers,
        })
    }
}

fn rate(day: Day) -> String {
    if day.conversations == 0 {
        "–".into()
    } else {
        format!("{:.0} %", f64::from(day.handovers) * 100.0 / f64::from(day.conversations))
    }
}

/// The range asked for (default: the last 14 days), or what is wrong with it.
fn range(query: &Range) -> Result<(NaiveDate, NaiveDate), String> {
    let today = Utc::now().date_naive();
    let parse = |text: &str, default: NaiveDate| {
        if text.trim().is_empty() {
            Ok(default)
        } else {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map_err(|_| format!("{text:?} is not a date like 2026-01-31."))
        }
    };
    let to = parse(&query.to, today)?;
    let from = parse(&query.from, to - Duration::days(13))?;
    if from > to {
        return Err("The first day comes after the last.".into());
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(format!("Choose at most {MAX_DAYS} days."));
    }
    Ok((from, to))
}

async fn figures(state: &AppState, site: &str, from: NaiveDate, to: NaiveDate) -> Result<Figures, AdminError> {
    let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp_millis());
    let facts = state
        .store
        .admin()
        .conversation_facts(site, start(from), start(to + Duration::days(1)), MAX_CONVERSATIONS)
        .await?;
    Ok(Figures::count(from, to, &facts))
}

/// Bars per day: conversations, with the handed-over part drawn over them.
fn chart(figures: &Figures) -> Markup {
    let (width, height, gap) = (720.0_f64, 160.0_f64, 2.0_f64);
    let most = figures.days.values().map(|d| d.conversations).max().unwrap_or(0).max(1);
    let bar = width / figures.days.len().max(1) as f64;
    let scale = |n: u32| f64::from(n) / f64::from(most) * (height - 20.0);
    html! {
        svg class="chart" viewBox={ "0 0 " (width) " " (height) } role="img"
            aria-label="Conversations per day, with those handed to a person" {
            @for (i, (day, figures)) in figures.days.iter().enumerate() {
                @let x = i as f64 * bar;
                rect class="all" x=(x) y=(height - scale(figures.conversations)) width=((bar - gap).max(1.0)) height=(scale(figures.conversations)) {
                    title { (day) ": " (figures.conversations) " conversations, " (figures.handovers) " handed over" }
                }
                rect class="handed" x=(x) y=(height - scale(figures.handovers)) width=((bar - gap).max(1.0)) height=(scale(figures.handovers)) {}
            }
        }
        p class="hint" { "Grey: conversations; blue: handed to a person. Tallest bar: " (most) "." }
    }
}

fn counts(title: &str, counts: &BTreeMap<&str, u32>) -> Markup {
    html! {
        h2 { (title) }
        @if counts.is_empty() { p { "None in this range." } }
        @else { (view::table(&["", "Handovers"], counts.iter().map(|(name, n)| vec![html! { (name) }, html! { (n) }]))) }
    }
}

pub async fn page(
    State(state): State<AppState>,
    SiteOwner { owner, site, .. }: SiteOwner,
    Query(query): Query<Range>,
) -> Result<Markup, AdminError> {
    let body = match range(&query) {
        Err(problem) => html! { (view::problem(&problem)) (form(&site, &query.from, &query.to)) },
        Ok((from, to)) => {
            let figures = figures(&state, &site, from, to).await?;
            let total = figures.total();
            let csat = (!figures.ratings.is_empty()).then(|| {
                let sum: u32 = figures.ratings.iter().map(|r| u32::from(*r)).sum();
                format!("{:.1} from {} ratings", f64::from(sum) / figures.ratings.len() as f64, figures.ratings.len())
            });
            html! {
                (form(&site, &from.to_string(), &to.to_string()))
                p data-testid="totals" {
                    (total.conversations) " conversations, " (total.handovers) " handed to a person (" (rate(total)) "). "
                    "Rating: " (csat.as_deref().unwrap_or("none yet")) "."
                }
                (chart(&figures))
                p { a href={ "/admin/sites/" (site) "/insights.csv?from=" (figures.from) "&to=" (figures.to) } { "Download as CSV" } }
                h2 { "Per day (UTC)" }
                (view::table(&["Day", "Conversations", "Handed over", "Rate"], figures.days.iter().map(|(day, d)| vec![
                    html! { (day) }, html! { (d.conversations) }, html! { (d.handovers) }, html! { (rate(*d)) },
                ])))
                (counts("By trigger", &figures.by_reason))
                (counts("By provider", &figures.by_provider))
            }
        }
    };
    Ok(view::page(&format!("Insights of {site}"), Some(&owner), body))
}

fn form(site: &str, from: &str, to: &str) -> Markup {
    html! {
        form method="get" action={ "/admin/sites/" (site) "/insights" } class="range" {
            (view::field("from", "From", from, view::Input::Line, Some("YYYY-MM-DD"), None))
            (view::field("to", "To", to, view::Input::Line, Some("YYYY-MM-DD"), None))
            button type="submit" { "Show" }
        }
    }
}

pub async fn csv(
    State(state): State<AppState>,
    SiteOwner { site, .. }: SiteOwner,
    Query(query): Query<Range>,
) -> Result<Response, AdminError> {
    let (from, to) = range(&query).map_err(AdminError::BadForm)?;
    let figures = figures(&state, &site, from, to).await?;
    let mut text = String::from("day,conversations,handed_over\n");
    for (day, d) in &figures.days {
        text.push_str(&format!("{day},{},{}\n", d.conversations, d.handovers));
    }
    let disposition = format!("attachment; filename=\"{site}-insights-{from}-{to}.csv\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        text,
    )
        .into_response())
}
