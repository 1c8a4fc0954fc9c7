//! The Office hours page: when the site's people take chats (time zone and the ranges of each
//! day, and holidays closed all day), or always. Outside them a request for a person gets the
//! unavailable message. Saved in
//! the site's settings document; "always open" over a file that sets hours is the document's
//! `unset = ["office_hours"]`.

use std::collections::{BTreeMap, HashMap};

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Form,
};
use maud::{html, Markup};

use super::{
    session::{Signed, SiteOwner},
    settings,
    view::{self, checkbox, field, Input},
    AdminError,
};
use crate::{
    config::{OfficeHours, OfficeHoursError, MAX_HOLIDAYS},
    site_settings::SettingsError,
    state::AppState,
};

const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// The form's values: always open, the time zone, each day's ranges, the holidays (one a line).
struct Values {
    always: bool,
    timezone: String,
    days: BTreeMap<&'static str, String>,
    holidays: String,
}

impl Values {
    fn of(hours: Option<&OfficeHours>) -> Self {
        let days = DAYS
            .iter()
            .map(|(day, _)| (*day, hours.and_then(|h| h.days.get(*day)).cloned().unwrap_or_default()))
            .collect();
        Self {
            always: hours.is_none(),
            timezone: hours.map_or_else(|| "Europe/Berlin".to_string(), |h| h.timezone.clone()),
            days,
            holidays: hours.map(|h| h.holidays.join("\n")).unwrap_or_default(),
        }
    }

    fn hours(&self) -> OfficeHours {
        OfficeHours {
            timezone: self.timezone.trim().to_string(),
            // Every day, closed ones empty: a document's days merge over the file's, so a day
            // closed here must say so.
            days: self.days.iter().map(|(day, ranges)| (day.to_string(), ranges.trim().to_string())).collect(),
            // Always written, even empty, to replace the file's list.
            holidays: self.holidays.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect(),
        }
    }
}

fn render(
    owner: &Signed,
    site: &str,
    values: &Values,
    errors: &HashMap<String, String>,
    said: Option<Markup>,
) -> Markup {
    let error = |name: &str| errors.get(name).map(String::as_str);
    let status = if values.always {
        "Always open: a request for a person is always passed on.".to_string()
    } else {
        let now = chrono::Utc::now();
        match values.hours().schedule() {
            Ok(schedule) if schedule.is_open(now) => "Open now.".to_string(),
            Ok(schedule) => match schedule.holiday(now) {
                Some((date, label)) => format!(
                    "Closed today, {date}, a holiday{}: a request for a person gets the unavailable message.",
                    if label.is_empty() { String::new() } else { format!(" ({label})") }
                ),
                None => "Closed now: a request for a person gets the unavailable message.".to_string(),
            },
            Err(_) => String::new(),
        }
    };
    let body = html! {
        @if let Some(said) = said { (said) }
        @if !errors.is_empty() { (view::problem("Please correct the fields marked below; nothing was saved.")) }
        p data-testid="open-status" { (status) }
        form method="post" action={ "/admin/sites/" (site) "/office-hours" } {
            (view::csrf(owner.csrf()))
            (checkbox("always", "Always open", values.always, Some("Ignore the hours below.")))
            (field("timezone", "Time zone", &values.timezone, Input::Line, Some("An IANA name, such as Europe/Berlin or America/New_York."), error("timezone")))
            @for (day, label) in DAYS {
                (field(day, label, values.days.get(day).map(String::as_str).unwrap_or_default(), Input::Line,
                    Some("Such as 09:00-12:30, 13:30-17:00; empty: closed."), error(day)))
            }
            @let hint = format!("Closed all day. One a line: the date as YYYY-MM-DD in the time zone above, then a label \
                if you like (2026-12-25 Christmas Day). At most {MAX_HOLIDAYS}.");
            (field("holidays", "Holidays", &values.holidays, Input::Text(5), Some(&hint), error("holidays")))
            button type="submit" { "Save office hours" }
        }
    };
    view::page(&format!("Office hours of {site}"), Some(owner), body)
}

pub async fn page(SiteOwner { owner, site, live }: SiteOwner) -> Markup {
    render(&owner, &site, &Values::of(live.config.office_hours.as_ref()), &HashMap::new(), None)
}

/// The field a schedule error belongs to.
fn field_of(error: &OfficeHoursError, values: &Values) -> String {
    match error {
        OfficeHoursError::TimeZone(_) => "timezone".into(),
        OfficeHoursError::Day(day) => day.clone(),
        OfficeHoursError::Range(range) => values
            .days
            .iter()
            .find(|(_, ranges)| ranges.contains(range.as_str()))
            .map_or("mon", |(day, _)| day)
            .to_string(),
        OfficeHoursError::Holiday(_) | OfficeHoursError::HolidayTwice(_) | OfficeHoursError::TooManyHolidays(_) => {
            "holidays".into()
        }
    }
}

pub async fn submit(
    State(state): State<AppState>,
    SiteOwner { owner, site, .. }: SiteOwner,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    let values = Values {
        always: form.contains_key("always"),
        timezone: form.get("timezone").cloned().unwrap_or_default(),
        days: DAYS.iter().map(|(day, _)| (*day, form.get(*day).cloned().unwrap_or_default())).collect(),
        holidays: form.get("holidays").map(|h| h.replace("\r\n", "\n")).unwrap_or_default(),
    };
    let hours = values.hours();
    if !values.always {
        if let Err(error) = hours.schedule() {
            let errors = HashMap::from([(field_of(&error, &values), format!("{error}."))]);
            return Ok(
                (StatusCode::UNPROCESSABLE_ENTITY, render(&owner, &site, &values, &errors, None)).into_response()
            );
        }
    }
    let result = save(&state, &owner, &site, (!values.always).then_some(&hours)).await;
    let said = match &result {
        Ok(()) => view::notice("Office hours saved."),
        Err(error) => view::problem(&error.to_string()),
    };
    let status = if result.is_ok() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&owner, &site, &values, &HashMap::new(), Some(said))).into_response())
}

/// Writes `hours` (or always open) into the site's document, replacing what it held.
async fn save(state: &AppState, owner: &Signed, site: &str, hours: Option<&OfficeHours>) -> Result<(), SettingsError> {
    let value = hours.map(toml::Value::try_from).transpose().map_err(|e| SettingsError::Toml(e.to_string()))?;
    settings::edit(state, owner, site, "settings.office_hours", |table| {
        settings::unset(table, "office_hours", value.is_none());
        if let Some(value) = value {
            table.insert("office_hours".into(), value);
        }
        Ok(())
    })
    .await
}
