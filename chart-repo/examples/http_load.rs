//! Helper of `scripts/bench-repo.sh`: a small closed-loop HTTP/1.1 load generator for
//! loopback servers, the same for chart-repo and nginx. CONNECTIONS keep-alive
//! connections each send one GET, read the whole answer (`Content-Length` framing;
//! chunked answers are refused), and send the next, for a warm-up and then SECONDS.
//! Only answers with the expected status count; anything else stops the run.
//!
//! `http_load URL STATUS CONNECTIONS SECONDS [HEADER: VALUE]...` prints `name value`
//! lines: `requests`, `rps`, `p50_us`, `p99_us`, `body_bytes`.

#![allow(clippy::unwrap_used)] // a benchmark helper: a failed step must stop it

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Not counted: connections open and the server's caches fill.
const WARMUP: Duration = Duration::from_millis(500);
/// Hard bound on how long anything may run, whatever the arguments say.
const MAX_SECONDS: f64 = 30.0;

struct Target {
    addr: String,
    request: Vec<u8>,
    status: u16,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert!(
        args.len() >= 4,
        "usage: http_load URL STATUS CONNECTIONS SECONDS [HEADER: VALUE]..."
    );
    let rest = args[0]
        .strip_prefix("http://")
        .expect("an http:// URL on loopback");
    let (addr, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = addr.split(':').next().unwrap();
    assert!(
        host == "localhost" || host.starts_with("127."),
        "loopback only, not {host}"
    );
    let path = if path.is_empty() { "/" } else { path };
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: http_load\r\n");
    for header in &args[4..] {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    let target = std::sync::Arc::new(Target {
        addr: addr.to_owned(),
        request: request.into_bytes(),
        status: args[1].parse().unwrap(),
    });
    let connections: usize = args[2].parse().unwrap();
    let seconds: f64 = args[3].parse::<f64>().unwrap().min(MAX_SECONDS);
    let start = Instant::now() + WARMUP;
    let end = start + Duration::from_secs_f64(seconds);

    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(connection(target.clone(), start, end)))
        .collect();
    let mut latencies = Vec::new();
    let mut body_bytes = 0;
    for task in tasks {
        let (l, b) = task.await.unwrap();
        latencies.extend(l);
        body_bytes = body_bytes.max(b);
    }
    latencies.sort_unstable();
    let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!("requests {}", latencies.len());
    println!("rps {:.0}", latencies.len() as f64 / seconds);
    println!("p50_us {}", pick(0.5));
    println!("p99_us {}", pick(0.99));
    println!("body_bytes {body_bytes}");
}

/// One keep-alive connection's loop: latencies (µs) of the answers counted, and the
/// size of the last body.
async fn connection(
    target: std::sync::Arc<Target>,
    start: Instant,
    end: Instant,
) -> (Vec<u32>, usize) {
    let mut stream = TcpStream::connect(&target.addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut latencies = Vec::new();
    let mut body_len = 0;
    loop {
        let sent = Instant::now();
        if sent >= end {
            return (latencies, body_len);
        }
        stream.write_all(&target.request).await.unwrap();
        body_len = read_answer(&mut stream, &mut buf, target.status).await;
        if sent >= start {
            latencies.push(sent.elapsed().as_micros() as u32);
        }
    }
}

/// Reads one whole answer; returns its body length.
async fn read_answer(stream: &mut TcpStream, buf: &mut [u8], expected: u16) -> usize {
    let mut filled = 0;
    let head_end = loop {
        let n = stream.read(&mut buf[filled..]).await.unwrap();
        assert!(n > 0, "the server closed the connection");
        filled += n;
        if let Some(i) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        assert!(filled < buf.len(), "answer head too long");
    };
    let head = std::str::from_utf8(&buf[..head_end]).unwrap();
    let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    assert_eq!(status, expected, "{head}");
    let mut length = 0;
    for line in head.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().unwrap();
        }
        assert!(
            !name.eq_ignore_ascii_case("transfer-encoding"),
            "chunked answers are not supported: {head}"
        );
    }
    let mut remaining = (head_end + length).saturating_sub(filled);
    assert!(
        filled <= head_end + length,
        "more bytes than one answer (no pipelining here)"
    );
    while remaining > 0 {
        let want = remaining.min(buf.len());
        let n = stream.read(&mut buf[..want]).await.unwrap();
        assert!(n > 0, "the server closed the connection mid-body");
        remaining -= n;
    }
    length
}
