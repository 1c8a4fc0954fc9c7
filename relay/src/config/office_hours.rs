//! Office hours: when a site's people take chats, in the site's own time zone, and the days
//! they do not (holidays).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// `timezone` is an IANA name ("Europe/Berlin"); `days` maps `mon`..`sun` to ranges such as
/// `"09:00-12:30, 13:30-17:00"`. A day that is not listed is closed. No `office_hours` table
/// at all means always open. `holidays` are days closed all day, each `"YYYY-MM-DD"` in the
/// site's time zone, optionally followed by a label (`"2026-12-25 Christmas Day"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeHours {
    pub timezone: String,
    pub days: BTreeMap<String, String>,
    /// Always written, even empty: a settings document's list replaces the file's, so one
    /// emptied in the dashboard must say so.
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// The most holidays a site may list.
pub const MAX_HOLIDAYS: usize = 100;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum OfficeHoursError {
    #[error("unknown time zone {0:?} (use an IANA name such as \"Europe/Berlin\")")]
    TimeZone(String),
    #[error("unknown day {0:?} (use mon, tue, wed, thu, fri, sat, sun)")]
    Day(String),
    #[error("bad time range {0:?} (use \"09:00-17:00\", several separated by commas)")]
    Range(String),
    #[error("{0:?} is not a date (use YYYY-MM-DD, optionally followed by a label)")]
    Holiday(String),
    #[error("{0} is listed twice as a holiday")]
    HolidayTwice(NaiveDate),
    #[error("{0} holidays are listed; at most {MAX_HOLIDAYS}")]
    TooManyHolidays(usize),
}

/// Office hours checked and ready to ask.
#[derive(Debug, Clone)]
pub struct Schedule {
    tz: Tz,
    /// Open ranges per weekday (Monday = 0).
    ranges: [Vec<(NaiveTime, NaiveTime)>; 7],
    /// Local dates closed all day, with their labels (maybe empty).
    holidays: BTreeMap<NaiveDate, String>,
}

impl OfficeHours {
    pub fn schedule(&self) -> Result<Schedule, OfficeHoursError> {
        let tz: Tz = self.timezone.parse().map_err(|_| OfficeHoursError::TimeZone(self.timezone.clone()))?;
        let mut ranges: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
        for (day, spec) in &self.days {
            let index = match day.to_ascii_lowercase().as_str() {
                "mon" => 0,
                "tue" => 1,
                "wed" => 2,
                "thu" => 3,
                "fri" => 4,
                "sat" => 5,
                "sun" => 6,
                _ => return Err(OfficeHoursError::Day(day.clone())),
            };
            for range in spec.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                let bad = || OfficeHoursError::Range(range.to_string());
                let (from, to) = range.split_once('-').ok_or_else(bad)?;
                let from = NaiveTime::parse_from_str(from.trim(), "%H:%M").map_err(|_| bad())?;
                let to = NaiveTime::parse_from_str(to.trim(), "%H:%M").map_err(|_| bad())?;
                if to <= from {
                    return Err(bad());
                }
                ranges[index].push((from, to));
            }
        }
        Ok(Schedule { tz, ranges, holidays: self.holidays()? })
    }

    /// The holidays by date, each a real date listed once, at most [`MAX_HOLIDAYS`].
    pub fn holidays(&self) -> Result<BTreeMap<NaiveDate, String>, OfficeHoursError> {
        if self.holidays.len() > MAX_HOLIDAYS {
            return Err(OfficeHoursError::TooManyHolidays(self.holidays.len()));
        }
        let mut holidays = BTreeMap::new();
        for entry in &self.holidays {
            let entry = entry.trim();
            let (date, label) = entry.split_once(char::is_whitespace).unwrap_or((entry, ""));
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .ok()
                .filter(|_| date.len() == 10)
                .ok_or_else(|| OfficeHoursError::Holiday(entry.to_string()))?;
            if holidays.insert(date, label.trim().to_string()).is_some() {
                return Err(OfficeHoursError::HolidayTwice(date));
            }
        }
        Ok(holidays)
    }
}

impl Schedule {
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.tz);
        if self.holidays.contains_key(&local.date_naive()) {
            return false;
        }
        let day = local.weekday().num_days_from_monday() as usize;
        let time = local.time();
        self.ranges[day].iter().any(|(from, to)| *from <= time && time < *to)
    }

    /// The holiday `at` falls on in the site's time zone, with its label (maybe empty).
    pub fn holiday(&self, at: DateTime<Utc>) -> Option<(NaiveDate, &str)> {
        let date = at.with_timezone(&self.tz).date_naive();
        self.holidays.get(&date).map(|label| (date, label.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn hours(tz: &str, days: &[(&str, &str)]) -> OfficeHours {
        OfficeHours {
            timezone: tz.into(),
            days: days.iter().map(|(d, r)| (d.to_string(), r.to_string())).collect(),
            holidays: Vec::new(),
        }
    }

    #[test]
    fn open_and_closed_follow_the_site_time_zone() {
        let schedule = hours("Europe/Berlin", &[("mon", "09:00-17:00")]).schedule().unwrap();
        // Monday 2026-11-23 07:30 UTC is 08:30 in Berlin: closed; 08:30 UTC is 09:30: open.
        assert!(!schedule.is_open(Utc.with_ymd_and_hms(2026, 11, 23, 7, 30, 0).unwrap()));
        assert!(schedule.is_open(Utc.with_ymd_and_hms(2026, 11, 23, 8, 30, 0).unwrap()));
        assert!(!schedule.is_open(Utc.with_ymd_and_hms(2026, 11, 23, 16, 0, 0).unwrap()), "17:00 Berlin");
        assert!(!schedule.is_open(Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()), "Tuesday is not listed");
    }

    #[test]
    fn summer_time_is_respected() {
        let schedule = hours("Europe/Berlin", &[("mon", "09:00-17:00")]).schedule().unwrap();
        // Monday 2026-07-06: Berlin is UTC+2, so 07:30 UTC is 09:30 local.
        assert!(schedule.is_open(Utc.with_ymd_and_hms(2026, 7, 6, 7, 30, 0).unwrap()));
    }

    #[test]
    fn several_ranges_a_day() {
        let schedule = hours("UTC", &[("tue", "09:00-12:00, 13:00-17:00")]).schedule().unwrap();
        assert!(schedule.is_open(Utc.with_ymd_and_hms(2026, 11, 24, 11, 0, 0).unwrap()));
        assert!(!schedule.is_open(Utc.with_ymd_and_hms(2026, 11, 24, 12, 30, 0).unwrap()));
        assert!(schedule.is_open(Utc.with_ymd_and_hms(2026, 11, 24, 13, 0, 0).unwrap()));
    }

    #[test]
    fn bad_settings_are_named() {
        assert_eq!(
            hours("Mars/Olympus", &[]).schedule().unwrap_err(),
            OfficeHoursError::TimeZone("Mars/Olympus".into())
        );
        assert!(matches!(hours("UTC", &[("funday", "09:00-10:00")]).schedule(), Err(OfficeHoursError::Day(_))));
        assert!(matches!(hours("UTC", &[("mon", "9-5")]).schedule(), Err(OfficeHoursError::Range(_))));
        assert!(matches!(hours("UTC", &[("mon", "17:00-09:00")]).schedule(), Err(OfficeHoursError::Range(_))));
    }

    #[test]
    fn a_holiday_closes_exactly_that_local_day_in_the_site_time_zone() {
        let every_day: Vec<(&str, &str)> =
            ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| (*d, "00:00-23:59")).collect();
        let mut hours = hours("Pacific/Auckland", &every_day);
        hours.holidays = vec!["2026-12-25 Christmas Day".into()];
        let schedule = hours.schedule().unwrap();
        // Auckland is UTC+13 in December: the 25th runs from 24 Dec 11:00 to 25 Dec 11:00 UTC.
        let at = |d, h, m| Utc.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap();
        assert!(schedule.is_open(at(24, 10, 30)), "23:30 on the 24th in Auckland");
        assert!(!schedule.is_open(at(24, 11, 0)), "00:00 on the 25th");
        assert!(!schedule.is_open(at(24, 23, 0)), "noon on the 25th, still the 24th in UTC");
        assert!(!schedule.is_open(at(25, 10, 30)), "23:30 on the 25th");
        assert!(schedule.is_open(at(25, 11, 0)), "00:00 on the 26th");
        let christmas = chrono::NaiveDate::from_ymd_opt(2026, 12, 25).unwrap();
        assert_eq!(schedule.holiday(at(24, 12, 0)), Some((christmas, "Christmas Day")));
        assert_eq!(schedule.holiday(at(24, 10, 0)), None);
    }

    #[test]
    fn holidays_are_real_dates_listed_once_and_not_too_many() {
        let with = |holidays: &[&str]| OfficeHours {
            holidays: holidays.iter().map(|h| h.to_string()).collect(),
            ..hours("UTC", &[])
        };
        assert!(with(&["2028-02-29", "2026-01-01 New Year"]).schedule().is_ok());
        for bad in ["2026-02-29", "2026-13-01", "26-01-01", "2026-1-1", "Christmas", "2026-12-25x"] {
            assert_eq!(with(&[bad]).schedule().unwrap_err(), OfficeHoursError::Holiday(bad.into()), "{bad}");
        }
        assert!(matches!(
            with(&["2026-12-25", "2026-12-25 Christmas"]).schedule(),
            Err(OfficeHoursError::HolidayTwice(_))
        ));
        let many: Vec<String> = (0..=MAX_HOLIDAYS as i64)
            .map(|i| (chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap() + chrono::Duration::days(i)).to_string())
            .collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(with(&many).schedule().unwrap_err(), OfficeHoursError::TooManyHolidays(MAX_HOLIDAYS + 1));
    }
}
