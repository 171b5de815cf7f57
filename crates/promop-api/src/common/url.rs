//! HTTP(S) URLs.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::string_newtype;

/// Pattern of an `http://` or `https://` URL.
pub const URL_PATTERN: &str = "^(http|https)://.+$";

/// An `http` or `https` URL.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
#[serde(transparent)]
pub struct Url(#[schemars(regex(pattern = URL_PATTERN))] pub String);
string_newtype!(Url);
