//! Helper of `scripts/bench-repo.sh` and `scripts/bench-market.sh`: a small closed-loop
//! HTTP/1.1 load generator for loopback servers, the same for our services and nginx.
//! CONNECTIONS keep-alive connections each send one request (a GET, or with `--post FILE`
//! a POST of that file's bytes), read the whole answer (`Content-Length` framing;
//! chunked answers are refused), and send the next, for a warm-up and then SECONDS.
//! Only answers with the expected status count; anything else stops the run.
//!
//! `http_load [--post FILE] URL STATUS CONNECTIONS SECONDS [HEADER: VALUE]...` prints
//! `name value` lines: `requests`, `rps`, `p50_us`, `p90_us`, `p99_us`, `max_us`,
//! `body_bytes` (the largest answer body), `mb_per_s` (answer body bytes per second, 10^6).

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
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let body = if args.first().map(String::as_str) == Some("--post") {
        assert!(args.len() > 1, "--post needs a file");
        let file = args.drain(..2).nth(1).unwrap();
        Some(std::fs::read(&file).unwrap_or_else(|e| panic!("--post {file}: {e}")))
    } else {
        None
    };
    assert!(
        args.len() >= 4,
        "usage: http_load [--post FILE] URL STATUS CONNECTIONS SECONDS [HEADER: VALUE]..."
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
    let method = if body.is_some() { "POST" } else { "GET" };
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: http_load\r\n");
    for header in &args[4..] {
        request.push_str(header);
        request.push_str("\r\n");
    }
    if let Some(body) = &body {
        let typed = args[4..]
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with("content-type:"));
        if !typed {
            request.push_str("Content-Type: application/json\r\n");
        }
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    let mut request = request.into_bytes();
    request.extend_from_slice(body.as_deref().unwrap_or_default());
    let target = std::sync::Arc::new(Target {
        addr: addr.to_owned(),
        request,
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
    let (mut body_bytes, mut counted_bytes) = (0, 0);
    for task in tasks {
        let counted = task.await.unwrap();
        latencies.extend(counted.latencies);
        body_bytes = body_bytes.max(counted.largest_body);
        counted_bytes += counted.body_bytes;
    }
    assert!(!latencies.is_empty(), "no answer within the run");
    latencies.sort_unstable();
    let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!("requests {}", latencies.len());
    println!("rps {:.0}", latencies.len() as f64 / seconds);
    println!("p50_us {}", pick(0.5));
    println!("p90_us {}", pick(0.9));
    println!("p99_us {}", pick(0.99));
    println!("max_us {}", latencies[latencies.len() - 1]);
    println!("body_bytes {body_bytes}");
    println!("mb_per_s {:.1}", counted_bytes as f64 / seconds / 1e6);
}

/// What one connection counted after the warm-up.
struct Counted {
    /// Of each answer, in µs.
    latencies: Vec<u32>,
    largest_body: usize,
    /// Summed over the answers.
    body_bytes: u64,
}

/// One keep-alive connection's loop, until `end`: what it counted after `start`.
async fn connection(target: std::sync::Arc<Target>, start: Instant, end: Instant) -> Counted {
    let mut stream = TcpStream::connect(&target.addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut counted = Counted {
        latencies: Vec::new(),
        largest_body: 0,
        body_bytes: 0,
    };
    loop {
        let sent = Instant::now();
        if sent >= end {
            return counted;
        }
        stream.write_all(&target.request).await.unwrap();
        let body_len = read_answer(&mut stream, &mut buf, target.status).await;
        if sent >= start {
            counted.latencies.push(sent.elapsed().as_micros() as u32);
            counted.largest_body = counted.largest_body.max(body_len);
            counted.body_bytes += body_len as u64;
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
