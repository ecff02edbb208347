//! Builders of hand-made, possibly hostile, archives for the reader's tests. Headers are
//! written byte by byte where `tar::Builder` would refuse the name.

#![allow(dead_code)]

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use tar::{EntryType, Header};

/// One entry of a hand-made tar.
pub struct Raw<'a> {
    pub name: &'a [u8],
    pub kind: EntryType,
    pub data: &'a [u8],
    pub link: &'a [u8],
}

pub fn file<'a>(name: &'a str, data: &'a [u8]) -> Raw<'a> {
    Raw {
        name: name.as_bytes(),
        kind: EntryType::Regular,
        data,
        link: b"",
    }
}

pub fn dir(name: &str) -> Raw<'_> {
    Raw {
        name: name.as_bytes(),
        kind: EntryType::Directory,
        data: b"",
        link: b"",
    }
}

pub fn special<'a>(name: &'a str, kind: EntryType, link: &'a str) -> Raw<'a> {
    Raw {
        name: name.as_bytes(),
        kind,
        data: b"",
        link: link.as_bytes(),
    }
}

/// The 512-byte header of `entry`, with the name copied in verbatim.
pub fn header(entry: &Raw<'_>) -> Header {
    let mut header = Header::new_ustar();
    header.set_entry_type(entry.kind);
    header.set_mode(0o644);
    header.set_size(entry.data.len() as u64);
    header.set_mtime(0);
    let old = header.as_old_mut();
    old.name = [0; 100];
    old.name[..entry.name.len()].copy_from_slice(entry.name);
    old.linkname[..entry.link.len()].copy_from_slice(entry.link);
    header.set_cksum();
    header
}

/// An uncompressed tar of `entries`, with the end-of-archive marker.
pub fn tar(entries: &[Raw<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        out.extend_from_slice(header(entry).as_bytes());
        out.extend_from_slice(entry.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0; 1024]);
    out
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("write to memory");
    encoder.finish().expect("finish in memory")
}

/// A gzip'd tar of `entries`.
pub fn tgz(entries: &[Raw<'_>]) -> Vec<u8> {
    gzip(&tar(entries))
}

/// A minimal valid chart folder named `top`.
pub fn minimal_chart(top: &str) -> Vec<u8> {
    let chart = format!("{top}/Chart.yaml");
    let values = format!("{top}/values.yaml");
    tgz(&[
        file(&chart, b"apiVersion: v2\nname: demo\nversion: 0.1.0\n"),
        file(&values, b"a: 1\n"),
    ])
}
