//! Self-signed PKI of a test environment: a CA, the apiserver's serving
//! certificate, the service-account signing key and the admin token.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// Names the serving certificate is valid for (loopback and the in-cluster
/// names of the `kubernetes` Service).
const SERVING_NAMES: &[&str] = &[
    "127.0.0.1",
    "localhost",
    "10.0.0.1",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
];

/// Files written by [`Pki::generate`].
#[derive(Debug, Clone)]
pub(crate) struct Pki {
    pub ca_cert: PathBuf,
    pub serving_cert: PathBuf,
    pub serving_key: PathBuf,
    /// PKCS#8 private key (`--service-account-signing-key-file`).
    pub sa_key: PathBuf,
    /// SPKI public key (`--service-account-key-file`).
    pub sa_pub: PathBuf,
    /// `--token-auth-file` (one admin user in group system:masters).
    pub token_file: PathBuf,
    /// The admin bearer token, also written alone to `admin_token_file`.
    pub admin_token: String,
    pub admin_token_file: PathBuf,
}

impl Pki {
    pub(crate) fn generate(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let write = |name: &str, content: &str| -> Result<PathBuf> {
            let p = dir.join(name);
            std::fs::write(&p, content).with_context(|| format!("writing {}", p.display()))?;
            Ok(p)
        };

        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "promop-testenv-ca");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
        ];
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let serving_key = KeyPair::generate()?;
        let names: Vec<String> = SERVING_NAMES.iter().map(|s| s.to_string()).collect();
        let mut serving = CertificateParams::new(names)?;
        serving
            .distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        serving.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        serving.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let serving_cert = serving.signed_by(&serving_key, &issuer)?;

        let sa_key = KeyPair::generate()?;
        let admin_token = random_hex(16)?;

        Ok(Self {
            ca_cert: write("ca.crt", &ca_cert.pem())?,
            serving_cert: write("apiserver.crt", &serving_cert.pem())?,
            serving_key: write("apiserver.key", &serving_key.serialize_pem())?,
            sa_key: write("sa.key", &sa_key.serialize_pem())?,
            sa_pub: write("sa.pub", &sa_key.public_key_pem())?,
            token_file: write(
                "tokens.csv",
                &format!("{admin_token},admin,admin-uid,\"system:masters\"\n"),
            )?,
            admin_token_file: write("admin.token", &admin_token)?,
            admin_token,
        })
    }
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}
