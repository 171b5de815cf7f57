//! --web-config-file: the Prometheus exporter-toolkit's file, as the
//! operator writes it for the reloader when the server has `spec.web`.
//! What the operator can write is applied — TLS (certificate files
//! re-read when they change, client certificates required with
//! `RequireAndVerifyClientCert`, minimum version) and response headers —
//! and the rest is named in warnings; `basic_auth_users` is refused rather
//! than served without the password it asks for.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use promop_operator::http::{self, TlsFiles};
use promop_operator::options::TlsVersion;
use serde::Deserialize;
use tokio_rustls::TlsAcceptor;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct File {
    tls_server_config: Option<TlsServerConfig>,
    http_server_config: Option<HttpServerConfig>,
    basic_auth_users: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TlsServerConfig {
    cert_file: String,
    key_file: String,
    cert: String,
    key: String,
    client_auth_type: String,
    client_ca_file: String,
    min_version: String,
    max_version: String,
    cipher_suites: Vec<String>,
    curve_preferences: Vec<String>,
    client_allowed_sans: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HttpServerConfig {
    headers: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("--web-config-file {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("--web-config-file {path}: {source}")]
    Tls { path: String, source: http::Error },
}

/// How /metrics and /healthz are served.
#[derive(Default)]
pub struct Listener {
    pub tls: Option<TlsAcceptor>,
    pub headers: Vec<(hyper::header::HeaderName, hyper::header::HeaderValue)>,
    /// Settings accepted but not applied.
    pub warnings: Vec<String>,
}

/// The certificate files are checked for changes at most this often.
const CERT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

pub fn load(path: &str) -> Result<Listener, Error> {
    if path.is_empty() {
        return Ok(Listener::default());
    }
    let invalid = |message: String| Error::Invalid {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| invalid(e.to_string()))?;
    let file: File = if text.trim().is_empty() {
        File::default()
    } else {
        serde_saphyr::from_str(&text).map_err(|e| invalid(e.to_string()))?
    };
    if !file.basic_auth_users.is_empty() {
        return Err(invalid("basic_auth_users is not supported".to_owned()));
    }
    let mut listener = Listener::default();
    for (name, value) in file
        .http_server_config
        .map(|h| h.headers)
        .unwrap_or_default()
    {
        let name = name
            .parse()
            .map_err(|_| invalid(format!("invalid header name {name:?}")))?;
        let value = value
            .parse()
            .map_err(|_| invalid(format!("invalid header value {value:?}")))?;
        listener.headers.push((name, value));
    }
    if let Some(tls) = file.tls_server_config {
        let files = tls_files(tls, &mut listener.warnings).map_err(invalid)?;
        let acceptor = http::acceptor(files, CERT_CHECK_INTERVAL).map_err(|source| Error::Tls {
            path: path.to_owned(),
            source,
        })?;
        listener.tls = Some(acceptor);
    }
    Ok(listener)
}

fn tls_files(tls: TlsServerConfig, warnings: &mut Vec<String>) -> Result<TlsFiles, String> {
    if tls.cert_file.is_empty() || tls.key_file.is_empty() {
        return Err("tls_server_config needs cert_file and key_file (inline cert and key are not supported)".to_owned());
    }
    let client_ca = match tls.client_auth_type.as_str() {
        "" | "NoClientCert" => None,
        "RequireAndVerifyClientCert" if !tls.client_ca_file.is_empty() => {
            Some(PathBuf::from(&tls.client_ca_file))
        }
        "RequireAndVerifyClientCert" => {
            return Err("RequireAndVerifyClientCert needs client_ca_file".to_owned());
        }
        other => {
            warnings.push(format!(
                "client_auth_type {other} is not supported: client certificates are not checked"
            ));
            None
        }
    };
    let min_version = match tls.min_version.as_str() {
        "TLS13" => TlsVersion::Tls13,
        "" | "TLS12" => TlsVersion::Tls12,
        other => {
            warnings.push(format!("min_version {other}: TLS 1.2 is the minimum"));
            TlsVersion::Tls12
        }
    };
    let ignored = [
        ("max_version", tls.max_version.is_empty()),
        ("cipher_suites", tls.cipher_suites.is_empty()),
        ("curve_preferences", tls.curve_preferences.is_empty()),
        ("client_allowed_sans", tls.client_allowed_sans.is_empty()),
        ("cert", tls.cert.is_empty()),
        ("key", tls.key.is_empty()),
    ];
    for (field, unset) in ignored {
        if !unset {
            warnings.push(format!("tls_server_config.{field} is not applied"));
        }
    }
    Ok(TlsFiles::new(
        PathBuf::from(tls.cert_file),
        PathBuf::from(tls.key_file),
        client_ca,
        min_version,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn headers_and_no_tls() {
        let file = write("http_server_config:\n  headers:\n    X-Frame-Options: deny\n");
        let listener = load(file.path().to_str().unwrap()).unwrap();
        assert!(listener.tls.is_none());
        assert_eq!(listener.headers.len(), 1);
        assert!(load("").unwrap().tls.is_none());
        assert!(load(write("").path().to_str().unwrap()).is_ok());
    }

    #[test]
    fn refused_and_warned_settings() {
        let basic = write("basic_auth_users:\n  u: $2y$10$x\n");
        assert!(load(basic.path().to_str().unwrap()).is_err());
        assert!(load("/nonexistent/web.yaml").is_err());
        let mut warnings = Vec::new();
        let tls = TlsServerConfig {
            cert_file: "c".into(),
            key_file: "k".into(),
            client_auth_type: "VerifyClientCertIfGiven".into(),
            cipher_suites: vec!["TLS_AES_128_GCM_SHA256".into()],
            ..TlsServerConfig::default()
        };
        assert!(tls_files(tls, &mut warnings).is_ok());
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        let no_key = TlsServerConfig {
            cert_file: "c".into(),
            ..TlsServerConfig::default()
        };
        assert!(tls_files(no_key, &mut warnings).is_err());
    }
}
