//! Time intervals during which routes are muted or active.
use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};

/// Pattern of a time of day, `HH:MM` (24-hour clock, `24:00` allowed).
pub const TIME_PATTERN: &str = r"^((([01][0-9])|(2[0-3])):[0-5][0-9])$|(^24:00$)";
/// Pattern of a day of the week or an inclusive range of them, e.g.
/// `monday` or `monday:friday`.
pub const WEEKDAY_RANGE_PATTERN: &str = r"^((?i)sun|mon|tues|wednes|thurs|fri|satur)day(?:((:(sun|mon|tues|wednes|thurs|fri|satur)day)$)|$)";
/// Pattern of a month (name or number) or an inclusive range of them, e.g.
/// `january`, `1:3` or `1:march`.
pub const MONTH_RANGE_PATTERN: &str = r"^((?i)january|february|march|april|may|june|july|august|september|october|november|december|1[0-2]|[1-9])(?:((:((?i)january|february|march|april|may|june|july|august|september|october|november|december|1[0-2]|[1-9]))$)|$)";
/// Pattern of a year or an inclusive range of years, e.g. `2030:2032`.
pub const YEAR_RANGE_PATTERN: &str = r"^2\d{3}(?::2\d{3}|$)";

/// Named set of time periods.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MuteTimeInterval {
    /// Name of the interval, used by routes to refer to it.
    pub name: String,
    /// Periods making up the interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub time_intervals: Option<Vec<TimeInterval>>,
}

/// Time period: the instants matching all the fields that are set.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimeInterval {
    /// Ranges of time of day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub times: Option<Vec<TimeRange>>,
    /// Days of the week or inclusive ranges of them, e.g. `monday:friday`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    #[schemars(inner(regex(pattern = WEEKDAY_RANGE_PATTERN)))]
    pub weekdays: Option<Vec<String>>,
    /// Ranges of days of the month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub days_of_month: Option<Vec<DayOfMonthRange>>,
    /// Months (names or numbers) or inclusive ranges of them, e.g. `1:march`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    #[schemars(inner(regex(pattern = MONTH_RANGE_PATTERN)))]
    pub months: Option<Vec<String>>,
    /// Years or inclusive ranges of them, e.g. `2030:2032`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    #[schemars(inner(regex(pattern = YEAR_RANGE_PATTERN)))]
    pub years: Option<Vec<String>>,
}

/// Range of time of day, `HH:MM` in 24-hour notation.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimeRange {
    /// Start of the range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = TIME_PATTERN))]
    pub start_time: Option<String>,
    /// End of the range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = TIME_PATTERN))]
    pub end_time: Option<String>,
}

/// Inclusive range of days of the month, from 1; negative values count from
/// the end of the month (-1 is its last day).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayOfMonthRange {
    /// First day of the range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -31, max = 31), transform = plain_integer)]
    pub start: Option<i32>,
    /// Last day of the range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -31, max = 31), transform = plain_integer)]
    pub end: Option<i32>,
}

/// Drops the `format` of an integer whose CRD schema has none.
fn plain_integer(schema: &mut Schema) {
    schema.remove("format");
}
