//! Types shared by several kinds (TLS, authentication, relabeling, selectors, ...).
//!
//! Each module is named after the vocabulary it holds; everything is
//! re-exported here so that kinds can `use crate::common::{...}`.
pub mod auth;
pub mod azure;
pub mod byte_size;
pub mod duration;
pub mod http;
pub mod int;
pub mod proxy;
pub mod relabel;
pub mod scrape;
pub mod selector;
pub mod status;
pub mod tls;
pub mod url;

pub use auth::{Authorization, BasicAuth, OAuth2, SafeAuthorization, Sigv4};
pub use azure::{AzureAd, AzureOAuth, AzureSdk, AzureWorkloadIdentity, ManagedIdentity};
pub use byte_size::{BYTE_SIZE_PATTERN, ByteSize};
pub use duration::{DURATION_PATTERN, Duration, GO_DURATION_PATTERN, GoDuration, NonEmptyDuration};
pub use http::{
    HttpConfig, HttpConfigWithProxy, HttpConfigWithProxyAndTlsFiles, HttpConfigWithTlsFiles,
    HttpConfigWithoutTls,
};
pub use proxy::ProxyConfig;
pub use relabel::RelabelConfig;
pub use scrape::{
    AttachMetadata, NameEscapingScheme, NameValidationScheme, NativeHistogramConfig, Scheme,
    ScrapeProtocol, SelectorMechanism, ServiceDiscoveryRole,
};
pub use selector::NamespaceSelector;
pub use status::{Condition, ConfigResourceCondition, ConfigResourceStatus, WorkloadBinding};
pub use tls::{
    GrpcServerTlsConfig, SafeTlsConfig, SecretOrConfigMap, TlsConfig, TlsFilesConfig, TlsVersion,
};
pub use url::{URL_PATTERN, Url};

/// Implements the string plumbing of a `String` newtype (`Deref<Target = str>`,
/// `AsRef<str>`, `Display`, `From<String>`, `From<&str>`).
macro_rules! string_newtype {
    ($name:ident) => {
        impl ::std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl ::std::convert::AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl ::std::convert::From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }
        impl ::std::convert::From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
        impl ::std::convert::From<$name> for String {
            fn from(s: $name) -> String {
                s.0
            }
        }
    };
}
pub(crate) use string_newtype;
