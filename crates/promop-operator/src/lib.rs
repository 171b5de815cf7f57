//! Controllers of promop (kube-rs): reflector caches feed the core's
//! snapshot; the generated objects are written with server-side apply.
mod apply;
mod config_secret;
mod controller;
mod error;
mod snapshot;
mod stores;

pub use apply::FIELD_MANAGER;
pub use controller::run;
pub use error::Error;
