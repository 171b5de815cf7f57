//! Schema helpers for integer fields.
use schemars::{Schema, SchemaGenerator, json_schema};

/// Schema of a Go `int` field: an integer without `format` (use with
/// `#[schemars(schema_with = "crate::common::int::plain_integer")]`).
pub fn plain_integer(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "integer" })
}
