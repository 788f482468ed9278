//! TLS to the server with rustls, as libpq's `sslmode` and `sslrootcert` ask:
//!
//! | `sslmode` | TLS | server certificate |
//! |---|---|---|
//! | `disable` | never | - |
//! | `prefer` (the default) | when the server offers it | not checked (unless `sslrootcert` is given: as `verify-ca`) |
//! | `require` | always | not checked (unless `sslrootcert` is given: as `verify-ca`) |
//! | `verify-ca` | always | signed by a CA of `sslrootcert` |
//! | `verify-full` | always | signed by a CA of `sslrootcert`, for the URL's host name |
//!
//! `verify-ca` and `verify-full` need `sslrootcert` (a PEM file of CA certificates). TLS runs
//! over TCP only: a Unix-socket host never uses it, as with libpq.

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::{Error, Result};

/// What the URL asked of TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl Mode {
    pub(super) fn parse(value: &str) -> Result<Mode> {
        Ok(match value {
            "disable" => Mode::Disable,
            "prefer" => Mode::Prefer,
            "require" => Mode::Require,
            "verify-ca" => Mode::VerifyCa,
            "verify-full" => Mode::VerifyFull,
            _ => {
                return Err(Error::InvalidInput(
                    "sslmode in the PostgreSQL URL must be disable, prefer, require, verify-ca or \
                     verify-full"
                        .into(),
                ));
            }
        })
    }

    /// The client's own mode: it knows only whether TLS is optional or required.
    pub(super) fn client_mode(self) -> tokio_postgres::config::SslMode {
        match self {
            Mode::Disable => tokio_postgres::config::SslMode::Disable,
            Mode::Prefer => tokio_postgres::config::SslMode::Prefer,
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => tokio_postgres::config::SslMode::Require,
        }
    }
}

/// The TLS connector for `mode`, with the CAs of `root_file` when given; `None` for
/// `disable`.
pub(super) fn connector(mode: Mode, root_file: Option<&Path>) -> Result<Option<MakeRustlsConnect>> {
    if mode == Mode::Disable {
        return Ok(None);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = match (mode, root_file) {
        (Mode::VerifyCa | Mode::VerifyFull, None) => {
            return Err(Error::InvalidInput(
                "sslmode=verify-ca and verify-full need sslrootcert (a PEM file of CA certificates) in \
                 the PostgreSQL URL"
                    .into(),
            ));
        }
        (_, None) => Verifier {
            webpki: None,
            check_name: false,
            algorithms: provider.signature_verification_algorithms,
        },
        (_, Some(file)) => {
            let mut roots = RootCertStore::empty();
            let unreadable = |e: &dyn std::fmt::Display| {
                Error::InvalidInput(format!("cannot read sslrootcert {}: {e}", file.display()))
            };
            for cert in CertificateDer::pem_file_iter(file).map_err(|e| unreadable(&e))? {
                roots.add(cert.map_err(|e| unreadable(&e))?).map_err(|e| unreadable(&e))?;
            }
            if roots.is_empty() {
                return Err(unreadable(&"it holds no certificate"));
            }
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| unreadable(&e))?;
            Verifier {
                webpki: Some(webpki),
                check_name: mode == Mode::VerifyFull,
                algorithms: provider.signature_verification_algorithms,
            }
        }
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Internal(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Some(MakeRustlsConnect::new(config)))
}

/// Checks the server's certificate as the mode asks. Handshake signatures are always checked,
/// so even an unchecked certificate is the one whose key the server proved it holds.
#[derive(Debug)]
struct Verifier {
    /// `None`: the certificate is not checked (`prefer` and `require` without `sslrootcert`).
    webpki: Option<Arc<WebPkiServerVerifier>>,
    /// Whether the certificate must be for the host name (`verify-full`).
    check_name: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else { return Ok(ServerCertVerified::assertion()) };
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
