//! `muteTimeIntervals` of an AlertmanagerConfig: each becomes a named time
//! interval whose ranges are printed the way Alertmanager's own types print
//! them (`monday:friday`, `"09:00"`, `1:3` for months).
use promop_api::v1alpha1::alertmanager_config::{MuteTimeInterval, TimeInterval, TimeRange};

use super::route::namespaced;
use crate::select::reasons::RejectionKind;
use crate::yaml::{Mapping, Node};

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// `start:end`, or `start` alone; more than one ':' is refused.
fn split_range(text: &str) -> Result<(&str, &str), RejectionKind> {
    match text.split(':').count() {
        1 => Ok((text, text)),
        2 => Ok(text.split_once(':').unwrap_or((text, text))),
        _ => Err(format!("invalid range provided {text}").into()),
    }
}

fn minutes(text: &str) -> Result<u32, RejectionKind> {
    let valid = text == "24:00"
        || (text.len() == 5
            && text.as_bytes()[2] == b':'
            && matches!(&text[..2], h if h.chars().all(|c| c.is_ascii_digit()) && h <= "23")
            && matches!(&text[3..], m if m.chars().all(|c| c.is_ascii_digit()) && m <= "59"));
    if !valid {
        return Err(format!("couldn't parse timestamp {text}, invalid format").into());
    }
    let h: u32 = text[..2]
        .parse()
        .map_err(|e: std::num::ParseIntError| e.to_string())?;
    let m: u32 = text[3..]
        .parse()
        .map_err(|e: std::num::ParseIntError| e.to_string())?;
    Ok(h * 60 + m)
}

fn time_range(tr: &TimeRange) -> Result<(u32, u32), RejectionKind> {
    let (start, end) = match (tr.start_time.as_deref(), tr.end_time.as_deref()) {
        (Some(s), Some(e)) if !s.is_empty() && !e.is_empty() => (s, e),
        _ => return Err("start and end are required".into()),
    };
    let start = minutes(start).map_err(|e| e.context("start time invalid"))?;
    let end = minutes(end).map_err(|e| e.context("end time invalid"))?;
    if start >= end {
        return Err(
            format!("start time {start} cannot be equal or greater than end time {end}").into(),
        );
    }
    Ok((start, end))
}

fn weekday(text: &str) -> Result<i64, RejectionKind> {
    let lower = text.to_lowercase();
    match WEEKDAYS.iter().position(|d| *d == lower) {
        Some(i) => Ok(i as i64),
        None => lower
            .parse()
            .map_err(|_| format!("{text} is an invalid weekday").into()),
    }
}

fn weekday_range(text: &str) -> Result<(i64, i64), RejectionKind> {
    let (s, e) = split_range(text)?;
    let start =
        weekday(s).map_err(|e| e.context("failed to parse start day from weekday range"))?;
    let end = weekday(e).map_err(|e| e.context("failed to parse end day from weekday range"))?;
    if start > end {
        return Err("start day cannot be before end day".into());
    }
    for (v, t) in [(start, s), (end, e)] {
        if !(0..=6).contains(&v) {
            return Err(format!("{t} is not a valid day of the week: out of range").into());
        }
    }
    Ok((start, end))
}

fn month(text: &str) -> Result<i64, RejectionKind> {
    let lower = text.to_lowercase();
    match MONTHS.iter().position(|m| *m == lower) {
        Some(i) => Ok(i as i64 + 1),
        None => match lower.parse::<i64>() {
            Ok(i) if (1..=12).contains(&i) => Ok(i),
            _ => Err(format!("{text} is an invalid month").into()),
        },
    }
}

fn month_range(text: &str) -> Result<(i64, i64), RejectionKind> {
    let (s, e) = split_range(text)?;
    let start = month(s).map_err(|e| e.context("failed to parse start month from month range"))?;
    let end = month(e).map_err(|e| e.context("failed to parse start month from month range"))?;
    if start > end {
        return Err(format!("end month {e} is before start month {s}").into());
    }
    Ok((start, end))
}

fn year_range(text: &str) -> Result<(i64, i64), RejectionKind> {
    let (s, e) = split_range(text)?;
    let start: i64 = s
        .parse()
        .map_err(|_| format!("start year cannot be {s} parsed"))?;
    let end: i64 = e
        .parse()
        .map_err(|_| format!("end year cannot be {e} parsed"))?;
    if start > end {
        return Err(format!("end year {end} is before start year {start}").into());
    }
    Ok((start, end))
}

fn day_of_month(start: i64, end: i64) -> Result<(), RejectionKind> {
    for v in [start, end] {
        if v == 0 || !(-31..=31).contains(&v) {
            return Err(format!("{v} is not a valid day of the month: out of range").into());
        }
    }
    if start < 0 && end > 0 {
        return Err("end day must be negative if start day is negative".into());
    }
    let norm = |v: i64| if v < 0 { 28 + v } else { v };
    if norm(start) > norm(end) {
        return Err(format!("end day {end} is always before start day {start}").into());
    }
    Ok(())
}

/// The reference's `MuteTimeInterval.Validate`.
pub fn validate(mti: &MuteTimeInterval) -> Result<(), RejectionKind> {
    if mti.name.is_empty() {
        return Err("empty name field for mute time interval".into());
    }
    for (i, ti) in mti.time_intervals.iter().flatten().enumerate() {
        for t in ti.times.iter().flatten() {
            time_range(t).map_err(|e| e.context(&format!("time range at {i} is invalid")))?;
        }
        for w in ti.weekdays.iter().flatten() {
            weekday_range(w).map_err(|e| e.context(&format!("weekday range at {i} is invalid")))?;
        }
        for d in ti.days_of_month.iter().flatten() {
            day_of_month(d.start.unwrap_or(0).into(), d.end.unwrap_or(0).into()).map_err(|e| {
                e.context(&format!(
                    "mute time interval is invalid - day of month range at {i} is invalid"
                ))
            })?;
        }
        for m in ti.months.iter().flatten() {
            month_range(m).map_err(|e| e.context(&format!("month range at {i} is invalid")))?;
        }
        for y in ti.years.iter().flatten() {
            year_range(y).map_err(|e| e.context(&format!("year range at {i} is invalid")))?;
        }
    }
    Ok(())
}

/// `begin:end`, or `begin` when both are equal (InclusiveRange).
fn inclusive(begin: i64, end: i64) -> Node {
    if begin == end {
        Node::Str(begin.to_string())
    } else {
        Node::Str(format!("{begin}:{end}"))
    }
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn interval(ti: &TimeInterval) -> Result<Node, RejectionKind> {
    let mut out = Mapping::new();
    let mut times = Vec::new();
    for t in ti.times.iter().flatten() {
        let (s, e) = time_range(t)?;
        let mut m = Mapping::new();
        m.insert("start_time", hhmm(s)).insert("end_time", hhmm(e));
        times.push(Node::Map(m));
    }
    out.insert("times", Node::Seq(times));
    let mut weekdays = Vec::new();
    for w in ti.weekdays.iter().flatten() {
        let (s, e) = weekday_range(w)?;
        let name = |i: i64| WEEKDAYS[i as usize];
        weekdays.push(Node::Str(if s == e {
            name(s).to_owned()
        } else {
            format!("{}:{}", name(s), name(e))
        }));
    }
    out.insert("weekdays", Node::FlowSeq(weekdays));
    let days = ti
        .days_of_month
        .iter()
        .flatten()
        .map(|d| inclusive(d.start.unwrap_or(0).into(), d.end.unwrap_or(0).into()))
        .collect();
    out.insert("days_of_month", Node::FlowSeq(days));
    let mut months = Vec::new();
    for m in ti.months.iter().flatten() {
        let (s, e) = month_range(m)?;
        months.push(inclusive(s, e));
    }
    out.insert("months", Node::FlowSeq(months));
    let mut years = Vec::new();
    for y in ti.years.iter().flatten() {
        let (s, e) = year_range(y)?;
        years.push(inclusive(s, e));
    }
    out.insert("years", Node::FlowSeq(years));
    Ok(Node::Map(out))
}

/// A named time interval. The reference names an interval without ranges
/// `""`, which Alertmanager refuses and routes cannot refer to; promop
/// names it like any other (an interval without ranges is "always").
pub fn convert(mti: &MuteTimeInterval, namespace: &str, cr: &str) -> Result<Node, RejectionKind> {
    let mut out = Mapping::new();
    let intervals = mti.time_intervals.as_deref().unwrap_or_default();
    out.insert("name", namespaced(&mti.name, namespace, cr));
    let converted: Result<Vec<Node>, RejectionKind> = intervals.iter().map(interval).collect();
    out.insert("time_intervals", Node::Seq(converted?));
    Ok(Node::Map(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alertmanager::types::{TIME_INTERVAL, shape};
    use promop_api::v1alpha1::alertmanager_config::DayOfMonthRange;

    /// Ranges print in yaml.v2's flow style; "1:10" reads as a base-60
    /// number and is double-quoted, "2030:2050" is not one but a ':' is a
    /// flow indicator, so it is single-quoted.
    #[test]
    fn flow_ranges_quote_like_yaml_v2() {
        let mti = MuteTimeInterval {
            name: "test".into(),
            time_intervals: Some(vec![TimeInterval {
                times: Some(vec![TimeRange {
                    start_time: Some("08:00".into()),
                    end_time: Some("17:00".into()),
                }]),
                weekdays: Some(vec!["Saturday".into(), "sunday".into()]),
                days_of_month: Some(vec![DayOfMonthRange {
                    start: Some(1),
                    end: Some(10),
                }]),
                months: Some(vec!["1:3".into()]),
                years: Some(vec!["2030:2050".into()]),
            }]),
        };
        let node = convert(&mti, "ns", "amc").expect("valid interval");
        let text = crate::yaml::to_string(&shape(&node, &TIME_INTERVAL).expect("shape"));
        assert_eq!(
            text,
            "name: ns/amc/test\ntime_intervals:\n- times:\n  - start_time: \"08:00\"\n    end_time: \"17:00\"\n  weekdays: [saturday, sunday]\n  days_of_month: [\"1:10\"]\n  months: [\"1:3\"]\n  years: ['2030:2050']\n"
        );
    }

    #[test]
    fn invalid_ranges_are_refused() {
        assert!(weekday_range("friday:monday").is_err());
        assert!(month_range("13").is_err());
        assert!(day_of_month(-3, 5).is_err());
        assert!(
            time_range(&TimeRange {
                start_time: Some("10:00".into()),
                end_time: Some("09:00".into()),
            })
            .is_err()
        );
    }
}
