//! Types shared by several kinds (TLS, authentication, relabeling, selectors, ...).
