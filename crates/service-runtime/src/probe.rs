//! `market probe` / `chart-repo probe`: asks the running service's `/readyz` and
//! exits 0 only on `200`, so a container healthcheck needs no curl in the image.
//!
//! A plain HTTP/1.1 GET over loopback: the service's own listener, no TLS, no
//! proxies, a few bytes read. A listen address of `0.0.0.0` / `::` is probed on
//! the loopback address of the same family.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Why a probe failed, as one line for the healthcheck's log.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{addr}{path}: no answer within {timeout:?}")]
    Timeout {
        addr: SocketAddr,
        path: String,
        timeout: Duration,
    },
    #[error("{addr}{path}: {source}")]
    Io {
        addr: SocketAddr,
        path: String,
        source: std::io::Error,
    },
    #[error("{addr}{path} answered {status_line:?}")]
    NotReady {
        addr: SocketAddr,
        path: String,
        status_line: String,
    },
}

/// The address to probe for a listen address: wildcards become loopback.
pub fn probe_addr(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// GETs `path` on `listen` (see [`probe_addr`]) and succeeds on a `200` status.
pub async fn probe(listen: SocketAddr, path: &str, timeout: Duration) -> Result<(), ProbeError> {
    let addr = probe_addr(listen);
    let io_error = |source| ProbeError::Io {
        addr,
        path: path.to_owned(),
        source,
    };
    let exchange = async {
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|source| ProbeError::Connect { addr, source })?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: probe\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(io_error)?;
        // The status line is all we need; 512 bytes hold it with room to spare.
        let mut head = Vec::with_capacity(512);
        let mut buf = [0u8; 512];
        while !head.contains(&b'\n') && head.len() < 512 {
            let n = stream.read(&mut buf).await.map_err(io_error)?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&head);
        let status_line = text.lines().next().unwrap_or_default().trim().to_owned();
        let mut parts = status_line.split_whitespace();
        let ok =
            parts.next().is_some_and(|v| v.starts_with("HTTP/1.")) && parts.next() == Some("200");
        if ok {
            Ok(())
        } else {
            Err(ProbeError::NotReady {
                addr,
                path: path.to_owned(),
                status_line,
            })
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or_else(|_| {
            Err(ProbeError::Timeout {
                addr,
                path: path.to_owned(),
                timeout,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::get;

    async fn serve(status: StatusCode) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/readyz", get(move || async move { status }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    #[tokio::test]
    async fn ready_is_ok_and_unready_names_the_status() {
        let ready = serve(StatusCode::OK).await;
        probe(ready, "/readyz", Duration::from_secs(5))
            .await
            .unwrap();

        let unready = serve(StatusCode::SERVICE_UNAVAILABLE).await;
        let err = probe(unready, "/readyz", Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("503"), "{err}");
    }

    #[tokio::test]
    async fn nothing_listening_is_a_connect_error() {
        // Bind then drop: the port is free and (almost surely) nobody listens on it.
        let addr = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let err = probe(addr, "/readyz", Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(matches!(err, ProbeError::Connect { .. }), "{err}");
    }

    #[test]
    fn wildcards_are_probed_on_loopback() {
        assert_eq!(
            probe_addr("0.0.0.0:8080".parse().unwrap()),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(
            probe_addr("[::]:8082".parse().unwrap()),
            "[::1]:8082".parse().unwrap()
        );
        assert_eq!(
            probe_addr("10.1.2.3:80".parse().unwrap()),
            "10.1.2.3:80".parse().unwrap()
        );
    }
}
