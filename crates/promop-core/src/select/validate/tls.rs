//! TLS settings: consistency rules, then the referenced CA, certificate and
//! key, which must exist and parse (the reference loads them as TLS assets).
use promop_api::common::{SafeTlsConfig, SecretOrConfigMap, TlsConfig};

use super::secrets::prefixed;
use super::{Checked, Validator, join};
use crate::select::reasons::{Rejection, RejectionKind};

impl Validator<'_> {
    /// The reference's `AddSafeTLSConfig`.
    pub(crate) fn safe_tls(
        &self,
        namespace: &str,
        tls: Option<&SafeTlsConfig>,
        path: &str,
    ) -> Checked {
        let Some(tls) = tls else {
            return Ok(());
        };
        validate_safe_tls(tls, path)
            .map_err(|e| prefixed(e, "failed to validate TLS configuration"))?;
        self.tls_assets(namespace, tls, path)
    }

    /// The reference's `AddTLSConfig` (TLS that may also name container files).
    pub(super) fn tls_with_files(
        &self,
        namespace: &str,
        tls: Option<&TlsConfig>,
        path: &str,
    ) -> Checked {
        let Some(tls) = tls else {
            return Ok(());
        };
        validate_tls_with_files(tls, path)
            .map_err(|e| prefixed(e, "failed to validate TLS configuration"))?;
        self.tls_assets(namespace, &tls.safe, path)
    }

    pub(super) fn tls_assets(&self, namespace: &str, tls: &SafeTlsConfig, path: &str) -> Checked {
        let ca_path = join(path, "ca");
        let ca = self
            .secret_or_config_map(namespace, tls.ca.as_ref(), &ca_path)
            .map_err(|e| prefixed(e, &format!("failed to get ca {:?}", describe(&tls.ca))))?;
        let cert_path = join(path, "cert");
        let cert = self
            .secret_or_config_map(namespace, tls.cert.as_ref(), &cert_path)
            .map_err(|e| prefixed(e, &format!("failed to get cert {:?}", describe(&tls.cert))))?;
        let key = match &tls.key_secret {
            Some(selector) => self
                .secret_key(namespace, selector, &join(path, "keySecret"))
                .map_err(|e| {
                    prefixed(
                        e,
                        &format!("failed to get key {}/{}", selector.name, selector.key),
                    )
                })?,
            None => String::new(),
        };
        if !ca.is_empty() {
            parse_certificate(&ca).map_err(|kind| {
                Rejection::new(&ca_path, kind.context(&format!("ca {}", describe(&tls.ca))))
            })?;
        }
        empty_assets(tls, &ca, &cert, &key, path)?;
        if !cert.is_empty() && !key.is_empty() {
            check_key_pair(&cert, &key).map_err(|kind| {
                let context = format!("cert {}", describe(&tls.cert));
                Rejection::new(&cert_path, kind.context(&context))
            })?;
        }
        Ok(())
    }
}

/// An empty CA, certificate or key is not written as a TLS asset (nor by
/// the reference, which still names its file in the configuration:
/// Prometheus then fails to load that part of the configuration, or the
/// whole of it). promop refuses the object instead (a deliberate
/// difference, `conformance/known-differences.md`).
fn empty_assets(tls: &SafeTlsConfig, ca: &str, cert: &str, key: &str, path: &str) -> Checked {
    const WHY: &str = "the value is empty: no file would be written for it";
    if is_set(&tls.ca) && ca.is_empty() {
        return Err(Rejection::new(
            join(path, "ca"),
            format!("ca {}: {WHY}", describe(&tls.ca)),
        ));
    }
    if is_set(&tls.cert) && cert.is_empty() {
        return Err(Rejection::new(
            join(path, "cert"),
            format!("cert {}: {WHY}", describe(&tls.cert)),
        ));
    }
    match &tls.key_secret {
        Some(selector) if key.is_empty() => Err(Rejection::new(
            join(path, "keySecret"),
            format!("key {}/{}: {WHY}", selector.name, selector.key),
        )),
        _ => Ok(()),
    }
}

fn is_set(selector: &Option<SecretOrConfigMap>) -> bool {
    selector
        .as_ref()
        .is_some_and(|s| s.secret.is_some() || s.config_map.is_some())
}

/// `<secret=name,key=key>` like the reference's `SecretOrConfigMap.String`.
fn describe(selector: &Option<SecretOrConfigMap>) -> String {
    match selector {
        Some(SecretOrConfigMap {
            secret: Some(s), ..
        }) => format!("<secret={},key={}>", s.name, s.key),
        Some(SecretOrConfigMap {
            config_map: Some(c),
            ..
        }) => format!("<configmap={},key={}>", c.name, c.key),
        _ => "<empty>".to_owned(),
    }
}

fn validate_common(tls: &SafeTlsConfig, path: &str) -> Checked {
    for (field, selector) in [("ca", &tls.ca), ("cert", &tls.cert)] {
        if let Some(SecretOrConfigMap {
            secret: Some(_),
            config_map: Some(_),
        }) = selector
        {
            return Err(Rejection::new(
                join(path, field),
                format!(
                    "{field} {}: cannot specify both Secret and ConfigMap",
                    describe(selector)
                ),
            ));
        }
    }
    if let (Some(max), Some(min)) = (tls.max_version, tls.min_version)
        && max < min
    {
        return Err(Rejection::new(
            join(path, "maxVersion"),
            "maxVersion must more than or equal to minVersion",
        ));
    }
    Ok(())
}

/// The reference's `SafeTLSConfig.Validate`.
pub(crate) fn validate_safe_tls(tls: &SafeTlsConfig, path: &str) -> Checked {
    validate_common(tls, path)?;
    match (is_set(&tls.cert), tls.key_secret.is_some()) {
        (true, false) => Err(Rejection::new(
            join(path, "keySecret"),
            "client cert specified without client key",
        )),
        (false, true) => Err(Rejection::new(
            join(path, "cert"),
            "client key specified without client cert",
        )),
        _ => Ok(()),
    }
}

/// The reference's `TLSConfig.Validate`.
pub(crate) fn validate_tls_with_files(tls: &TlsConfig, path: &str) -> Checked {
    let safe = &tls.safe;
    validate_common(safe, path)?;
    let file = |f: &Option<String>| f.as_deref().is_some_and(|f| !f.is_empty());
    let (ca_file, cert_file, key_file) = (
        file(&tls.files.ca_file),
        file(&tls.files.cert_file),
        file(&tls.files.key_file),
    );
    let fail = |field: &str, message: &str| Err(Rejection::new(join(path, field), message));
    if safe
        .ca
        .as_ref()
        .is_some_and(|c| *c != SecretOrConfigMap::default())
        && ca_file
    {
        return fail("caFile", "cannot specify both 'caFile' and 'ca'");
    }
    let has_cert = is_set(&safe.cert);
    if has_cert && cert_file {
        return fail("certFile", "cannot specify both 'certFile' and 'cert'");
    }
    if key_file && safe.key_secret.is_some() {
        return fail("keyFile", "cannot specify both 'keyFile' and 'keySecret'");
    }
    let has_cert = has_cert || cert_file;
    let has_key = key_file || safe.key_secret.is_some();
    match (has_cert, has_key) {
        (true, false) => fail("keySecret", "cannot specify client cert without client key"),
        (false, true) => fail("cert", "cannot specify client key without client cert"),
        _ => Ok(()),
    }
}

/// The first PEM block must be an X.509 certificate (the reference decodes
/// one block and parses it).
fn parse_certificate(pem_text: &str) -> Result<(), RejectionKind> {
    let block = pem_blocks(pem_text)
        .into_iter()
        .next()
        .ok_or("failed to decode PEM block")?;
    x509_parser::parse_x509_certificate(block.contents())
        .map(|_| ())
        .map_err(|e| format!("failed to parse certificate: {e}").into())
}

/// Go's `tls.X509KeyPair`: a CERTIFICATE block that parses and a private
/// key block. (Whether the key matches the certificate is not checked here.)
fn check_key_pair(cert: &str, key: &str) -> Result<(), RejectionKind> {
    let certs: Vec<_> = pem_blocks(cert)
        .into_iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .collect();
    let leaf = certs
        .first()
        .ok_or("tls: failed to find any PEM data in certificate input")?;
    x509_parser::parse_x509_certificate(leaf.contents())
        .map_err(|e| format!("tls: failed to parse certificate: {e}"))?;
    pem_blocks(key)
        .into_iter()
        .find(|b| b.tag() == "PRIVATE KEY" || b.tag().ends_with(" PRIVATE KEY"))
        .ok_or("tls: failed to find any PEM data in key input")?;
    Ok(())
}

fn pem_blocks(text: &str) -> Vec<pem::Pem> {
    pem::parse_many(text).unwrap_or_default()
}
