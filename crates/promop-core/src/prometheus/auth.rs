//! Credentials of HTTP clients: basic auth, the Authorization header,
//! OAuth2 and AWS SigV4. Secret values are written inline, as the reference
//! does (the configuration is itself stored in a Secret).
use k8s_openapi::api::core::v1::SecretKeySelector;
use promop_api::common::{Authorization, BasicAuth, OAuth2, SafeAuthorization, Sigv4};

use super::assets::Store;
use super::version::{Feature, Version};
use super::{proxy, tls};
use crate::yaml::Mapping;

/// Appends `basic_auth`; a missing value is written empty, like the reference.
pub fn append_basic_auth(cfg: &mut Mapping, store: &Store<'_>, basic_auth: Option<&BasicAuth>) {
    let Some(basic_auth) = basic_auth else { return };
    let value = |s: &Option<SecretKeySelector>| {
        s.as_ref().and_then(|s| store.secret(s)).unwrap_or_default()
    };
    let mut m = Mapping::new();
    m.insert("username", value(&basic_auth.username));
    m.insert("password", value(&basic_auth.password));
    cfg.insert("basic_auth", m);
}

/// Appends `bearer_token` read from a Secret (deprecated `bearerTokenSecret`).
pub fn append_bearer_token_secret(
    cfg: &mut Mapping,
    store: &Store<'_>,
    secret: Option<&SecretKeySelector>,
) {
    let Some(token) = secret
        .filter(|s| !s.name.is_empty())
        .and_then(|s| store.secret(s))
    else {
        return;
    };
    cfg.insert("bearer_token", token);
}

/// Appends `authorization`: the scheme (`Bearer` by default), the credentials
/// from their Secret and the credentials file.
pub fn append_authorization(
    cfg: &mut Mapping,
    store: &Store<'_>,
    version: &Version,
    auth: Option<&Authorization>,
) {
    let Some(auth) = auth else { return };
    if !version.supports(Feature::Authorization) {
        return;
    }
    let mut m = safe_authorization(store, &auth.safe);
    m.insert_opt(
        "credentials_file",
        auth.credentials_file.as_deref().filter(|f| !f.is_empty()),
    );
    cfg.insert("authorization", m);
}

/// Appends `authorization` of a Secret-only Authorization.
pub fn append_safe_authorization(
    cfg: &mut Mapping,
    store: &Store<'_>,
    version: &Version,
    auth: Option<&SafeAuthorization>,
) {
    let Some(auth) = auth else { return };
    if version.supports(Feature::Authorization) {
        cfg.insert("authorization", safe_authorization(store, auth));
    }
}

fn safe_authorization(store: &Store<'_>, auth: &SafeAuthorization) -> Mapping {
    let type_ = auth
        .type_
        .as_deref()
        .filter(|t| !t.is_empty())
        .unwrap_or("Bearer");
    let mut m = Mapping::new();
    m.insert("type", type_.trim());
    m.insert_opt(
        "credentials",
        auth.credentials.as_ref().and_then(|c| store.secret(c)),
    );
    m
}

/// Appends `oauth2`; like the reference, nothing when the client ID or
/// secret cannot be read.
pub fn append_oauth2(
    cfg: &mut Mapping,
    store: &Store<'_>,
    version: &Version,
    oauth2: Option<&OAuth2>,
) {
    let Some(oauth2) = oauth2 else { return };
    let (Some(client_id), Some(client_secret)) = (
        store.secret_or_config_map(&oauth2.client_id),
        store.secret(&oauth2.client_secret),
    ) else {
        return;
    };
    let mut m = Mapping::new();
    m.insert("client_id", client_id);
    m.insert("client_secret", client_secret);
    m.insert("token_url", oauth2.token_url.to_string());
    if let Some(scopes) = oauth2.scopes.as_ref().filter(|s| !s.is_empty()) {
        m.insert("scopes", scopes.clone());
    }
    if let Some(params) = oauth2.endpoint_params.as_ref().filter(|p| !p.is_empty()) {
        m.insert("endpoint_params", Mapping::sorted(params.clone()));
    }
    if version.supports(Feature::OAuth2ProxyAndTls) {
        proxy::append(&mut m, store, version, &oauth2.proxy);
        tls::append_safe(&mut m, store, version, oauth2.tls_config.as_ref());
    }
    if version.supports(Feature::OAuth2) {
        cfg.insert("oauth2", m);
    }
}

/// Appends `sigv4`; keys are written only when both are readable and non-empty.
pub fn append_sigv4(
    cfg: &mut Mapping,
    store: &Store<'_>,
    version: &Version,
    sigv4: Option<&Sigv4>,
) {
    let Some(sigv4) = sigv4 else { return };
    let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    let mut m = Mapping::new();
    m.insert_opt("region", non_empty(&sigv4.region));
    if let (Some(ak), Some(sk)) = (&sigv4.access_key, &sigv4.secret_key) {
        let (ak, sk) = (
            store.secret(ak).unwrap_or_default(),
            store.secret(sk).unwrap_or_default(),
        );
        if !ak.is_empty() && !sk.is_empty() {
            m.insert("access_key", ak);
            m.insert("secret_key", sk);
        }
    }
    m.insert_opt("profile", non_empty(&sigv4.profile));
    m.insert_opt("role_arn", non_empty(&sigv4.role_arn));
    if version.supports(Feature::Sigv4ExternalId) {
        m.insert_opt("external_id", non_empty(&sigv4.external_id));
    }
    if version.supports(Feature::Sigv4UseFipsStsEndpoint) {
        m.insert_opt("use_fips_sts_endpoint", sigv4.use_fips_sts_endpoint);
    }
    cfg.insert("sigv4", m);
}
