//! Office hours: when a site's people take chats, in the site's own time zone.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// `timezone` is an IANA name ("Europe/Berlin"); `days` maps `mon`..`sun` to ranges such as
/// `"09:00-12:30, 13:30-17:00"`. A day that is not listed is closed. No `office_hours` table
/// at all means always open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeHours {
    pub timezone: String,
    pub days: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum OfficeHoursError {
    #[error("unknown time zone {0:?} (use an IANA name such as \"Europe/Berlin\")")]
    TimeZone(String),
    #[error("unknown day {0:?} (use mon, tue, wed, thu, fri, sat, sun)")]
    Day(String),
    #[error("bad time range {0:?} (use \"09:00-17:00\", several separated by commas)")]
    Range(String),
}

/// Office hours checked and ready to ask.
#[derive(Debug, Clone)]
pub struct Schedule {
    tz: Tz,
    /// Open ranges per weekday (Monday = 0).
    ranges: [Vec<(NaiveTime, NaiveTime)>; 7],
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
        Ok(Schedule { tz, ranges })
    }
}

impl Schedule {
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.tz);
        let day = local.weekday().num_days_from_monday() as usize;
        let time = local.time();
        self.ranges[day].iter().any(|(from, to)| *from <= time && time < *to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn hours(tz: &str, days: &[(&str, &str)]) -> OfficeHours {
        OfficeHours { timezone: tz.into(), days: days.iter().map(|(d, r)| (d.to_string(), r.to_string())).collect() }
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
}
