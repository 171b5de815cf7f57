//! Time intervals during which routes are muted or active.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    DayOfMonthRange, MONTH_RANGE_PATTERN, TimeRange, WEEKDAY_RANGE_PATTERN, YEAR_RANGE_PATTERN,
};

/// Named set of time periods.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimeInterval {
    /// Name of the interval, used by routes to refer to it.
    pub name: String,
    /// Periods making up the interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_intervals: Option<Vec<TimePeriod>>,
}

/// Time period: the instants matching all the fields that are set.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimePeriod {
    /// Ranges of time of day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<Vec<TimeRange>>,
    /// Days of the week or inclusive ranges of them, e.g. `monday:friday`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(regex(pattern = WEEKDAY_RANGE_PATTERN)))]
    pub weekdays: Option<Vec<String>>,
    /// Ranges of days of the month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_of_month: Option<Vec<DayOfMonthRange>>,
    /// Months (names or numbers) or inclusive ranges of them, e.g. `1:march`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(regex(pattern = MONTH_RANGE_PATTERN)))]
    pub months: Option<Vec<String>>,
    /// Years or inclusive ranges of them, e.g. `2030:2032`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(regex(pattern = YEAR_RANGE_PATTERN)))]
    pub years: Option<Vec<String>>,
}
