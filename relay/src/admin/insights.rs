//! The Insights page: per day (UTC) over a chosen range, the site's conversations and those
//! handed to a person, the handover rate, handovers by trigger and by provider, and the
//! visitors' ratings, how long visitors waited for a person and for an agent's first reply,
//! and the questions the bot could not answer; a bar chart drawn here as SVG (no script, no
//! CDN) and the per-day figures as CSV. Counted from the conversations' stored state: a
//! conversation handed over twice counts once, with its last trigger; its waiting times are
//! those of its first handover; everything counts on the day the conversation began.

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
use crate::{
    event::{Action, EventBody, Phase, Role},
    state::AppState,
    store::admin::{ConversationFacts, InsightEvent},
};

/// The longest range shown, in days.
const MAX_DAYS: i64 = 366;
/// The most conversations counted for one page.
const MAX_CONVERSATIONS: u32 = 200_000;
/// The most events read for waiting times and unanswered questions.
const MAX_EVENTS: u32 = 500_000;
/// How many of the questions the bot could not answer are listed.
const TOP_QUESTIONS: usize = 20;

#[derive(Deserialize, Default)]
pub struct Range {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// One day's figures.
#[derive(Default, Clone)]
struct Day {
    conversations: u32,
    handovers: u32,
    /// Seconds from each handover's start to the agent joining.
    waits: Vec<i64>,
    /// Seconds from each handover's start to the agent's first message.
    first_replies: Vec<i64>,
}

/// What the page shows.
struct Figures {
    from: NaiveDate,
    to: NaiveDate,
    days: BTreeMap<NaiveDate, Day>,
    by_reason: BTreeMap<&'static str, u32>,
    by_provider: BTreeMap<&'static str, u32>,
    ratings: Vec<u8>,
    /// The questions the bot could not answer, most asked first: (question, times).
    unanswered: Vec<(String, u32)>,
}

/// One conversation's first handover, as its events tell it (ms).
#[derive(Default)]
struct Timeline {
    handed: Option<i64>,
    joined: Option<i64>,
    replied: Option<i64>,
    /// The trigger of its last handover.
    reason: Option<crate::event::Reason>,
}

impl Figures {
    fn count(from: NaiveDate, to: NaiveDate, facts: &[ConversationFacts], events: &[InsightEvent]) -> Self {
        let mut days: BTreeMap<NaiveDate, Day> =
            from.iter_days().take_while(|d| *d <= to).map(|d| (d, Day::default())).collect();
        let (mut by_reason, mut by_provider, mut ratings) = (BTreeMap::new(), BTreeMap::new(), Vec::new());
        let mut timelines: BTreeMap<&str, Timeline> = BTreeMap::new();
        let mut questions: BTreeMap<String, (String, u32)> = BTreeMap::new();
        for (i, InsightEvent { conversation_id, event }) in events.iter().enumerate() {
            let timeline = timelines.entry(conversation_id.as_str()).or_default();
            match &event.body {
                EventBody::Phase(change) => match change.phase {
                    Phase::Waiting => {
                        timeline.handed.get_or_insert(event.at);
                        timeline.reason = change.reason.or(timeline.reason);
                    }
                    Phase::Agent if timeline.handed.is_some() && timeline.joined.is_none() => {
                        timeline.joined = Some(event.at)
                    }
                    _ => {}
                },
                EventBody::Message(m)
                    if m.author.role == Role::Agent && timeline.handed.is_some() && timeline.replied.is_none() =>
                {
                    timeline.replied = Some(event.at);
                }
                // A bot answer without a source that offers a person: the bot could not answer
                // the visitor's message right before it.
                EventBody::Message(m)
                    if m.author.role == Role::Bot
                        && m.source.is_none()
                        && m.quick_replies.iter().any(|q| q.action == Some(Action::RequestHandover)) =>
                {
                    let asked = i.checked_sub(1).and_then(|j| events.get(j)).filter(|before| {
                        before.conversation_id == *conversation_id && before.event.seq + 1 == event.seq
                    });
                    if let Some(EventBody::Message(question)) = asked.map(|b| &b.event.body) {
                        if question.author.role == Role::Visitor && !question.text.trim().is_empty() {
                            let text = question.text.trim();
                            let key = text.to_lowercase();
                            questions.entry(key).or_insert_with(|| (text.to_string(), 0)).1 += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        for fact in facts {
            let Some(day) = DateTime::from_timestamp_millis(fact.created_at).map(|t| t.date_naive()) else { continue };
            let entry = days.entry(day).or_default();
            entry.conversations += 1;
            ratings.extend(fact.rating);
            let timeline = timelines.get(fact.id.as_str());
            let Some(reason) = timeline.and_then(|t| t.reason).or(fact.reason) else { continue };
            entry.handovers += 1;
            *by_reason.entry(reason.as_str()).or_insert(0) += 1;
            *by_provider.entry(fact.provider.map_or("unknown", |p| p.name())).or_insert(0) += 1;
            if let Some(Timeline { handed: Some(handed), joined, replied, .. }) = timeline {
                entry.waits.extend(joined.map(|at| (at - handed).max(0) / 1000));
                entry.first_replies.extend(replied.map(|at| (at - handed).max(0) / 1000));
            }
        }
        let mut unanswered: Vec<(String, u32)> = questions.into_values().collect();
        unanswered.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        unanswered.truncate(TOP_QUESTIONS);
        Self { from, to, days, by_reason, by_provider, ratings, unanswered }
    }

    fn total(&self) -> Day {
        self.days.values().fold(Day::default(), |mut sum, d| {
            sum.conversations += d.conversations;
            sum.handovers += d.handovers;
            sum.waits.extend(&d.waits);
            sum.first_replies.extend(&d.first_replies);
            sum
        })
    }
}

/// The `q`-quantile (0 to 1) of `seconds`, nearest rank.
fn quantile(seconds: &[i64], q: f64) -> Option<i64> {
    let mut sorted = seconds.to_vec();
    sorted.sort_unstable();
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied()
}

/// Seconds in words: `42 s`, `3 min 5 s`, `2 h 10 min`.
fn duration(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// "median …, 90 % within … (n handovers)", or that there were none.
fn spread(seconds: &[i64]) -> String {
    match (quantile(seconds, 0.5), quantile(seconds, 0.9)) {
        (Some(median), Some(p90)) => format!(
            "median {}, 90 % within {} ({} handover{})",
            duration(median),
            duration(p90),
            seconds.len(),
            if seconds.len() == 1 { "" } else { "s" }
        ),
        _ => "no handover in this range".into(),
    }
}

/// A day's median in seconds for the table and CSV, empty without any.
fn median(seconds: &[i64]) -> String {
    quantile(seconds, 0.5).map(|s| s.to_string()).unwrap_or_default()
}

fn rate(day: &Day) -> String {
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
    let (begin, end) = (start(from), start(to + Duration::days(1)));
    let facts = state.store.admin().conversation_facts(site, begin, end, MAX_CONVERSATIONS).await?;
    let events = state.store.admin().insight_events(site, begin, end, MAX_EVENTS).await?;
    Ok(Figures::count(from, to, &facts, &events))
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
                    (total.conversations) " conversations, " (total.handovers) " handed to a person (" (rate(&total)) "). "
                    "Rating: " (csat.as_deref().unwrap_or("none yet")) "."
                }
                p data-testid="waiting" { "Waiting for a person: " (spread(&total.waits)) "." }
                p data-testid="first-reply" { "Until the agent's first reply: " (spread(&total.first_replies)) "." }
                (chart(&figures))
                p { a href={ "/admin/sites/" (site) "/insights.csv?from=" (figures.from) "&to=" (figures.to) } { "Download as CSV" } }
                h2 { "Per day (UTC)" }
                (view::table(&["Day", "Conversations", "Handed over", "Rate", "Median wait (s)", "Median first reply (s)"],
                    figures.days.iter().map(|(day, d)| vec![
                        html! { (day) }, html! { (d.conversations) }, html! { (d.handovers) }, html! { (rate(d)) },
                        html! { (median(&d.waits)) }, html! { (median(&d.first_replies)) },
                    ])))
                (counts("By trigger", &figures.by_reason))
                (counts("By provider", &figures.by_provider))
                h2 { "Questions the bot could not answer" }
                p class="hint" { "The visitor's message right before each bot answer that found no article and offered a person: the help articles' gaps." }
                @if figures.unanswered.is_empty() { p { "None in this range." } }
                @else {
                    (view::table(&["Question", "Times"], figures.unanswered.iter().map(|(question, n)| vec![
                        html! { (question) }, html! { (n) },
                    ])))
                }
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
    let mut text = String::from("day,conversations,handed_over,median_wait_s,median_first_reply_s\n");
    for (day, d) in &figures.days {
        let (wait, reply) = (median(&d.waits), median(&d.first_replies));
        text.push_str(&format!("{day},{},{},{wait},{reply}\n", d.conversations, d.handovers));
    }
    let disposition = format!("attachment; filename=\"{site}-insights-{from}-{to}.csv\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        text,
    )
        .into_response())
}
