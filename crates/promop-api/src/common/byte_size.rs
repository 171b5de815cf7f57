//! Memory sizes in powers of two (`512MB`, `1GiB`).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::string_newtype;

/// Pattern of a byte size (units B, KB, KiB, MB, ..., EiB; 1KB = 1024B).
pub const BYTE_SIZE_PATTERN: &str = "(^0|([0-9]*[.])?[0-9]+((K|M|G|T|E|P)i?)?B)$";

/// A memory size where 1KB is 1024B, e.g. `512MB`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
#[serde(transparent)]
pub struct ByteSize(#[schemars(regex(pattern = BYTE_SIZE_PATTERN))] pub String);
string_newtype!(ByteSize);
