//! References to Secrets and ConfigMaps: the reference loads each one into
//! its asset store and rejects the object when it is missing.
use k8s_openapi::api::core::v1::{ConfigMapKeySelector, SecretKeySelector};
use promop_api::common::{BasicAuth, OAuth2, ProxyConfig, SafeAuthorization, SecretOrConfigMap};

use super::{Checked, Validator, join};
use crate::select::reasons::{Reference, Rejection, RejectionKind};

impl Validator<'_> {
    /// The value of a Secret key (the reference reads `data` only; `stringData`
    /// of manifests is accepted as the API server would have merged it).
    pub(crate) fn secret_key(
        &self,
        namespace: &str,
        selector: &SecretKeySelector,
        path: &str,
    ) -> Result<String, Rejection> {
        let name = &selector.name;
        self.read(false, namespace, name);
        let Some(secret) = self.snapshot.secret(namespace, name) else {
            let missing = Reference::secret(name, None).in_namespace(namespace);
            let message = not_found("secret", "secrets", name);
            return Err(Rejection::new(
                path,
                RejectionKind::missing(missing, message),
            ));
        };
        let data = secret.data.as_ref().and_then(|d| d.get(&selector.key));
        let string_data = secret
            .string_data
            .as_ref()
            .and_then(|d| d.get(&selector.key));
        match (data, string_data) {
            (Some(value), _) => Ok(String::from_utf8_lossy(&value.0).into_owned()),
            (None, Some(value)) => Ok(value.clone()),
            (None, None) => Err(Rejection::new(
                path,
                RejectionKind::missing(
                    Reference::secret(name, Some(&selector.key)).in_namespace(namespace),
                    format!("key {:?} in secret {name:?} not found", selector.key),
                ),
            )),
        }
    }

    pub(super) fn config_map_key(
        &self,
        namespace: &str,
        selector: &ConfigMapKeySelector,
        path: &str,
    ) -> Result<String, Rejection> {
        let name = &selector.name;
        self.read(true, namespace, name);
        let Some(map) = self.snapshot.config_map(namespace, name) else {
            let missing = Reference::config_map(name, None).in_namespace(namespace);
            let message = not_found("configmap", "configmaps", name);
            return Err(Rejection::new(
                path,
                RejectionKind::missing(missing, message),
            ));
        };
        map.data
            .as_ref()
            .and_then(|d| d.get(&selector.key))
            .cloned()
            .ok_or_else(|| {
                Rejection::new(
                    path,
                    RejectionKind::missing(
                        Reference::config_map(name, Some(&selector.key)).in_namespace(namespace),
                        format!("key {:?} in configmap {name:?} not found", selector.key),
                    ),
                )
            })
    }

    /// The value of a Secret or ConfigMap key; empty when neither is set.
    pub(super) fn secret_or_config_map(
        &self,
        namespace: &str,
        selector: Option<&SecretOrConfigMap>,
        path: &str,
    ) -> Result<String, Rejection> {
        match selector {
            Some(SecretOrConfigMap {
                secret: Some(secret),
                ..
            }) => self.secret_key(namespace, secret, &join(path, "secret")),
            Some(SecretOrConfigMap {
                config_map: Some(map),
                ..
            }) => self.config_map_key(namespace, map, &join(path, "configMap")),
            _ => Ok(String::new()),
        }
    }

    /// Both keys must exist; an unset one refers to a Secret without a name.
    pub(crate) fn basic_auth(
        &self,
        namespace: &str,
        basic_auth: Option<&BasicAuth>,
        path: &str,
    ) -> Checked {
        let Some(basic_auth) = basic_auth else {
            return Ok(());
        };
        let empty = SecretKeySelector::default();
        for (field, selector) in [
            ("username", &basic_auth.username),
            ("password", &basic_auth.password),
        ] {
            let selector = selector.as_ref().unwrap_or(&empty);
            self.secret_key(namespace, selector, &join(path, field))
                .map_err(|e| prefixed(e, &format!("failed to get basic auth {field}")))?;
        }
        Ok(())
    }

    /// The reference's `AddSafeAuthorizationCredentials`.
    pub(crate) fn safe_authorization(
        &self,
        namespace: &str,
        authorization: Option<&SafeAuthorization>,
        path: &str,
    ) -> Checked {
        let Some(authorization) = authorization else {
            return Ok(());
        };
        let Some(credentials) = &authorization.credentials else {
            return Ok(());
        };
        authorization_type(authorization, path)?;
        if !credentials.name.is_empty() {
            let kind = authorization.type_.as_deref().unwrap_or_default();
            self.secret_key(namespace, credentials, &join(path, "credentials"))
                .map_err(|e| {
                    prefixed(
                        e,
                        &format!("failed to get authorization token of type {kind:?}"),
                    )
                })?;
        }
        Ok(())
    }

    /// The reference's `AddOAuth2`: validation, then every referenced key.
    pub(crate) fn oauth2(&self, namespace: &str, oauth2: Option<&OAuth2>, path: &str) -> Checked {
        let Some(oauth2) = oauth2 else {
            return Ok(());
        };
        validate_oauth2(oauth2, path)?;
        self.secret_or_config_map(namespace, Some(&oauth2.client_id), &join(path, "clientId"))
            .map_err(|e| prefixed(e, "failed to get oauth2 client id"))?;
        self.secret_key(
            namespace,
            &oauth2.client_secret,
            &join(path, "clientSecret"),
        )
        .map_err(|e| prefixed(e, "failed to get oauth2 client secret"))?;
        self.proxy_connect_header(namespace, &oauth2.proxy, path)
            .map_err(|e| prefixed(e, "failed to get oauth2 proxyConfig"))?;
        self.safe_tls(
            namespace,
            oauth2.tls_config.as_ref(),
            &join(path, "tlsConfig"),
        )
        .map_err(|e| prefixed(e, "failed to get oauth2 tlsConfig"))
    }

    /// The reference's `addProxyConfigToStore`: rules, then header Secrets.
    pub(crate) fn proxy(&self, namespace: &str, proxy: &ProxyConfig, path: &str) -> Checked {
        validate_proxy(proxy, path)?;
        self.proxy_connect_header(namespace, proxy, path)
    }

    fn proxy_connect_header(&self, namespace: &str, proxy: &ProxyConfig, path: &str) -> Checked {
        for (header, selectors) in proxy.proxy_connect_header.iter().flatten() {
            for (i, selector) in selectors.iter().enumerate() {
                let here = format!("{}[{header}][{i}]", join(path, "proxyConnectHeader"));
                self.secret_key(namespace, selector, &here)?;
            }
        }
        Ok(())
    }
}

/// `type: basic` is refused (use basicAuth) and credentials are required.
pub(super) fn authorization_type(authorization: &SafeAuthorization, path: &str) -> Checked {
    let kind = authorization.type_.as_deref().unwrap_or_default();
    if kind.trim().eq_ignore_ascii_case("basic") {
        return Err(Rejection::new(
            join(path, "type"),
            "'authorization' type cannot be set to \"basic\", use \"basicAuth\" instead",
        ));
    }
    if authorization.credentials.is_none() {
        return Err(Rejection::new(
            join(path, "credentials"),
            "'authorization' credentials are required",
        ));
    }
    Ok(())
}

/// The reference's `OAuth2.Validate`.
pub(crate) fn validate_oauth2(oauth2: &OAuth2, path: &str) -> Checked {
    if oauth2.token_url.is_empty() {
        return Err(Rejection::new(
            join(path, "tokenUrl"),
            "OAuth2 tokenURL must be specified",
        ));
    }
    let client_id = &oauth2.client_id;
    match (&client_id.secret, &client_id.config_map) {
        (None, None) => {
            return Err(Rejection::new(
                join(path, "clientId"),
                "OAuth2 'clientID' must be specified",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(Rejection::new(
                join(path, "clientId"),
                "invalid OAuth2 'clientID': cannot specify both Secret and ConfigMap",
            ));
        }
        _ => {}
    }
    if let Some(tls) = &oauth2.tls_config {
        super::tls::validate_safe_tls(tls, &join(path, "tlsConfig"))
            .map_err(|e| prefixed(e, "invalid OAuth2 'tlsConfig'"))?;
    }
    validate_proxy(&oauth2.proxy, path).map_err(|e| prefixed(e, "invalid OAuth2 proxyConfig"))
}

/// The reference's `ProxyConfig.Validate`.
pub(crate) fn validate_proxy(proxy: &ProxyConfig, path: &str) -> Checked {
    let from_environment = proxy.proxy_from_environment == Some(true);
    let url = proxy.proxy_url.as_deref().is_some_and(|u| !u.is_empty());
    let no_proxy = proxy.no_proxy.as_deref().is_some_and(|u| !u.is_empty());
    let headers = proxy.proxy_connect_header.as_ref();
    let fail = |field: &str, message: &str| Err(Rejection::new(join(path, field), message));
    if headers.is_some_and(|h| !h.is_empty()) && !from_environment && !url {
        return fail(
            "proxyConnectHeader",
            "if proxyConnectHeader is configured, proxyUrl or proxyFromEnvironment must also be configured",
        );
    }
    if from_environment && url {
        return fail(
            "proxyFromEnvironment",
            "if proxyFromEnvironment is configured, proxyUrl must not be configured",
        );
    }
    if from_environment && no_proxy {
        return fail(
            "proxyFromEnvironment",
            "if proxyFromEnvironment is configured, noProxy must not be configured",
        );
    }
    if !url && no_proxy {
        return fail(
            "noProxy",
            "if noProxy is configured, proxyUrl must also be configured",
        );
    }
    for (header, selectors) in headers.into_iter().flatten() {
        let here = format!("{}[{header}]", join(path, "proxyConnectHeader"));
        if selectors.is_empty() {
            return Err(Rejection::new(here, "selector must not be empty"));
        }
        for (i, selector) in selectors.iter().enumerate() {
            if selector.name.is_empty() && selector.key.is_empty() && selector.optional.is_none() {
                return Err(Rejection::new(
                    format!("{here}[{i}]"),
                    "selector must be defined",
                ));
            }
        }
    }
    Ok(())
}

/// What the Kubernetes API answers for a missing object, as the reference
/// wraps it (`unable to get secret "x": secrets "x" not found`).
fn not_found(kind: &str, resource: &str, name: &str) -> String {
    if name.is_empty() {
        return format!("unable to get {kind} \"\": resource name may not be empty");
    }
    format!("unable to get {kind} {name:?}: {resource} {name:?} not found")
}

/// Puts the reference's context in front of a message.
pub(super) fn prefixed(rejection: Rejection, context: &str) -> Rejection {
    Rejection {
        path: rejection.path,
        kind: rejection.kind.context(context),
    }
}
