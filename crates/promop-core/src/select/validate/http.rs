//! HTTP client settings of the monitors: one kind of credentials at most,
//! and every referenced Secret present.
use promop_api::common::{HttpConfigWithoutTls, SafeTlsConfig};
use promop_api::v1alpha1::scrape_config::{HttpClientAuth, HttpClientConfig};

use super::secrets::{authorization_type, prefixed, validate_oauth2};
use super::tls::validate_safe_tls;
use super::{Checked, Validator, join};
use crate::select::reasons::Rejection;

/// The reference's `HTTPConfigWithoutTLS.Validate`.
pub(super) fn validate_credentials(http: &HttpConfigWithoutTls, path: &str) -> Checked {
    let set = [
        ("authorization", http.authorization.is_some()),
        ("basicAuth", http.basic_auth.is_some()),
        ("bearerTokenSecret", http.bearer_token_secret.is_some()),
        ("oauth2", http.oauth2.is_some()),
    ];
    let present: Vec<&str> = set.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
    if let [first, second, ..] = present.as_slice() {
        return Err(Rejection::new(
            join(path, second),
            format!("{first} and {second} cannot be configured at the same time"),
        ));
    }
    if let Some(authorization) = &http.authorization {
        authorization_type(authorization, &join(path, "authorization"))
            .map_err(|e| prefixed(e, "authorization"))?;
    }
    if let Some(oauth2) = &http.oauth2 {
        validate_oauth2(oauth2, &join(path, "oauth2")).map_err(|e| prefixed(e, "oauth2"))?;
    }
    Ok(())
}

/// [`validate_credentials`] plus `tlsConfig` (the reference's `HTTPConfig.Validate`).
pub(super) fn validate_http(
    http: &HttpConfigWithoutTls,
    tls: Option<&SafeTlsConfig>,
    path: &str,
) -> Checked {
    validate_credentials(http, path)?;
    if let Some(tls) = tls {
        validate_safe_tls(tls, &join(path, "tlsConfig")).map_err(|e| prefixed(e, "tlsConfig"))?;
    }
    Ok(())
}

impl Validator<'_> {
    /// The Secrets behind `basicAuth`, `authorization` and `oauth2`.
    pub(crate) fn client_auth(
        &self,
        namespace: &str,
        auth: &HttpClientAuth,
        path: &str,
    ) -> Checked {
        self.basic_auth(
            namespace,
            auth.basic_auth.as_ref(),
            &join(path, "basicAuth"),
        )?;
        self.safe_authorization(
            namespace,
            auth.authorization.as_ref(),
            &join(path, "authorization"),
        )?;
        self.oauth2(namespace, auth.oauth2.as_ref(), &join(path, "oauth2"))
    }

    /// The TLS assets of a service discovery's HTTP client.
    pub(crate) fn client_tls(
        &self,
        namespace: &str,
        client: &HttpClientConfig,
        path: &str,
    ) -> Checked {
        self.safe_tls(
            namespace,
            client.tls_config.as_ref(),
            &join(path, "tlsConfig"),
        )
    }

    /// The TLS assets and proxy of a service discovery's HTTP client.
    pub(crate) fn client_transport(
        &self,
        namespace: &str,
        client: &HttpClientConfig,
        path: &str,
    ) -> Checked {
        self.client_tls(namespace, client, path)?;
        self.proxy(namespace, &client.proxy, path)
    }

    /// The common tail of most service discoveries: credentials, TLS and proxy.
    pub(crate) fn sd_client(
        &self,
        namespace: &str,
        auth: &HttpClientAuth,
        client: &HttpClientConfig,
        path: &str,
    ) -> Checked {
        self.client_auth(namespace, auth, path)?;
        self.client_transport(namespace, client, path)
    }
}
