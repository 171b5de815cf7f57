//! The listeners' TLS configuration (web and webhook), with a certificate
//! re-read from its files when they change: cert-manager and Kubernetes
//! Secret volumes replace the files in place, and the API server keeps
//! calling `/convert`.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::Error;
use crate::options::{TlsVersion, Web, Webhook};

/// What a TLS listener is configured from: `--web.*` or `--webhook.*`.
pub struct TlsFiles {
    cert_file: PathBuf,
    key_file: PathBuf,
    /// Clients must present a certificate this CA signed, when the file
    /// exists (the web listener's; the API server calls webhooks without).
    client_ca_file: Option<PathBuf>,
    min_version: TlsVersion,
}

impl TlsFiles {
    /// Other listeners' files (`promop config-reloader`'s web config).
    pub fn new(
        cert_file: PathBuf,
        key_file: PathBuf,
        client_ca_file: Option<PathBuf>,
        min_version: TlsVersion,
    ) -> Self {
        Self {
            cert_file,
            key_file,
            client_ca_file,
            min_version,
        }
    }

    pub(super) fn of_web(web: &Web) -> Self {
        Self {
            cert_file: web.cert_file.clone(),
            key_file: web.key_file.clone(),
            client_ca_file: Some(web.client_ca_file.clone()),
            min_version: web.tls_min_version,
        }
    }

    /// `None` when the certificate or key file is not given.
    pub(super) fn of_webhook(webhook: &Webhook) -> Option<Self> {
        Some(Self {
            cert_file: webhook.cert_file.clone()?,
            key_file: webhook.key_file.clone()?,
            client_ca_file: None,
            min_version: webhook.tls_min_version,
        })
    }
}

/// The TLS configuration of `files`; the certificate files are checked for
/// changes at most once per `check_interval`.
pub(super) fn server_config(
    files: TlsFiles,
    check_interval: Duration,
) -> Result<rustls::ServerConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = match files.min_version {
        TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersion::Tls13 => &[&rustls::version::TLS13],
    };
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)?;
    let builder = match files.client_ca_file.filter(|file| file.is_file()) {
        Some(client_ca_file) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in certificates(&client_ca_file)? {
                roots
                    .add(cert)
                    .map_err(|e| Error::ClientCa(client_ca_file.clone(), e.to_string()))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider.clone(),
            )
            .build()
            .map_err(|e| Error::ClientCa(client_ca_file.clone(), e.to_string()))?;
            tracing::info!(client_ca_file = %client_ca_file.display(), "server TLS client verification enabled");
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let resolver = ReloadingCert::load(files.cert_file, files.key_file, provider, check_interval)?;
    let mut config = builder.with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::ReadPem(path.to_owned(), e.to_string()))?;
    if certs.is_empty() {
        return Err(Error::ReadPem(
            path.to_owned(),
            "no PEM certificate".to_owned(),
        ));
    }
    Ok(certs)
}

/// Serves the certificate and key of two PEM files, reloading them on the
/// first handshake after they change (checked at most once per interval, so
/// a handshake costs two `stat`s at worst). New files that do not load, a
/// half-written rotation for instance, leave the last good certificate in
/// use, with a warning; they are tried again when they change again.
#[derive(Debug)]
pub(super) struct ReloadingCert {
    cert_file: PathBuf,
    key_file: PathBuf,
    provider: Arc<CryptoProvider>,
    check_interval: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    current: Arc<CertifiedKey>,
    /// The files' identity when last read (loaded or not).
    files: [Option<FileStamp>; 2],
    checked: Instant,
}

/// What changes when a file is replaced or rewritten: Secret volumes swap a
/// symlink (new inode), editors and `cp` rewrite (new time, often length).
#[derive(Debug, PartialEq, Eq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    inode: (u64, u64),
}

fn stamp(path: &Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(FileStamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        #[cfg(unix)]
        inode: {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        },
    })
}

impl ReloadingCert {
    /// Loads the files; they must be good now (mistakes stop the start).
    pub(super) fn load(
        cert_file: PathBuf,
        key_file: PathBuf,
        provider: Arc<CryptoProvider>,
        check_interval: Duration,
    ) -> Result<Self, Error> {
        // Stamped before reading: a change during the read is seen later.
        let files = [stamp(&cert_file), stamp(&key_file)];
        let current = Arc::new(read(&cert_file, &key_file, &provider)?);
        Ok(Self {
            cert_file,
            key_file,
            provider,
            check_interval,
            state: Mutex::new(State {
                current,
                files,
                checked: Instant::now(),
            }),
        })
    }

    fn current(&self) -> Arc<CertifiedKey> {
        // A panic elsewhere cannot leave the state half-updated: keep going.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.checked.elapsed() < self.check_interval {
            return state.current.clone();
        }
        state.checked = Instant::now();
        let files = [stamp(&self.cert_file), stamp(&self.key_file)];
        if files != state.files {
            // Other handshakes wait for this read of two small files; it
            // happens once per change.
            state.files = files;
            match read(&self.cert_file, &self.key_file, &self.provider) {
                Ok(key) => {
                    tracing::info!(cert_file = %self.cert_file.display(), "reloaded the TLS certificate");
                    state.current = Arc::new(key);
                }
                Err(error) => {
                    tracing::warn!(%error, "the TLS certificate files changed but do not load, serving the previous certificate");
                }
            }
        }
        state.current.clone()
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

fn read(
    cert_file: &Path,
    key_file: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, Error> {
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| Error::ReadPem(key_file.to_owned(), e.to_string()))?;
    // Also checks that the key is the certificate's.
    Ok(CertifiedKey::from_der(
        certificates(cert_file)?,
        key,
        provider,
    )?)
}
