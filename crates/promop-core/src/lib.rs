//! Selection, validation and generation: the pure core of promop.
//!
//! Snapshot in, desired state out: nothing here does I/O, reads a clock or
//! draws random numbers. The operator fills a [`snapshot::Snapshot`] from its
//! caches, `promop render` from manifest files; both get the same output.
pub mod admission;
pub mod alertmanager;
pub mod desired;
pub mod k8s;
pub mod lint;
pub mod manifests;
pub mod pipeline;
pub mod prometheus;
pub mod select;
pub mod snapshot;
pub mod thanos_ruler;
pub mod version;
pub mod yaml;
