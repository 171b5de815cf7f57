//! Duration strings: Prometheus durations (`1h30m`, `15d`) and Go durations (`45ms`, `1m`).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::string_newtype;

/// Pattern of a Prometheus duration (units y, w, d, h, m, s, ms).
pub const DURATION_PATTERN: &str =
    "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$";

/// Pattern of a Go duration (units h, m, s, ms).
pub const GO_DURATION_PATTERN: &str = "^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$";

/// A duration in Prometheus notation, e.g. `30s`, `1h20m15s`, `15d`.
#[derive(
    Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema,
)]
#[serde(transparent)]
pub struct Duration(#[schemars(regex(pattern = DURATION_PATTERN))] pub String);
string_newtype!(Duration);

/// A Prometheus duration that may not be empty.
#[derive(
    Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema,
)]
#[serde(transparent)]
pub struct NonEmptyDuration(
    #[schemars(regex(pattern = DURATION_PATTERN), length(min = 1))] pub String,
);
string_newtype!(NonEmptyDuration);

/// A duration in Go notation, e.g. `45ms`, `30s`, `1h20m15s`.
#[derive(
    Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema,
)]
#[serde(transparent)]
pub struct GoDuration(#[schemars(regex(pattern = GO_DURATION_PATTERN))] pub String);
string_newtype!(GoDuration);
