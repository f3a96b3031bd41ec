//! TLS verification is on: a server whose certificate comes from a private CA is
//! refused, unless that CA is added with `add_root_certificate_pem`.

use authing::{Error, ManagementClient, RetryConfig, TransportKind};
use base64::Engine as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[path = "support/private_ca.rs"]
mod private_ca;
use private_ca::private_ca;

/// An HTTPS server on 127.0.0.1 answering every request with a management token.
/// Returns its URL and how many HTTP requests it has read.
async fn https_token_server(config: Arc<rustls::ServerConfig>) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return; // the client refused our certificate
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Headers, then as much body as Content-Length says.
                loop {
                    let n = tls.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(r#"{"scoped_userpool_id":"pool-tls"}"#);
                let body = format!(
                    r#"{{"statusCode":200,"message":"","data":{{"access_token":"e30.{claims}.sig","expires_in":7200}}}}"#
                );
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (url, served)
}

fn client(url: &str, ca_pem: Option<&str>) -> ManagementClient {
    let mut builder = ManagementClient::builder()
        .access_key_id("id")
        .access_key_secret("secret")
        .host(url)
        .retry(RetryConfig::disabled());
    if let Some(pem) = ca_pem {
        builder = builder.add_root_certificate_pem(pem);
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn a_private_ca_is_refused_unless_added() {
    let ca = private_ca();
    let (url, served) = https_token_server(ca.server.clone()).await;

    let err = client(&url, None).check_credentials().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        served.load(Ordering::SeqCst),
        0,
        "no request crosses an unverified connection"
    );

    client(&url, Some(&ca.ca_pem))
        .check_credentials()
        .await
        .unwrap();
    assert_eq!(served.load(Ordering::SeqCst), 1);
}
