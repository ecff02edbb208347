//! Image references as Docker's `distribution/reference` reads them
//! (`ParseNormalizedNamed`): an optional registry host (a first component with a `.` or `:`,
//! or `localhost`, or any upper-case letter), `docker.io` otherwise, `library/` before a
//! single-component Docker Hub name, `index.docker.io` read as `docker.io`, then `:tag`
//! and/or `@digest`, `latest` when neither is given. Ports and digests are kept.
//!
//! Every reference is checked here before any registry is asked about it.

use std::fmt;

/// A normalized image reference.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageRef {
    /// Registry host, with its port if any (`docker.io`, `registry.local:5000`).
    pub registry: String,
    /// Repository path inside the registry (`library/nginx`, `beclab/ollama`).
    pub repository: String,
    /// The tag; `latest` when the reference names neither tag nor digest.
    pub tag: Option<String>,
    /// `algorithm:hex`, when pinned.
    pub digest: Option<String>,
}

/// Why a reference was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("invalid reference format: {0:?} is empty")]
    Empty(String),
    #[error("invalid reference format: repository name must be lowercase: {0:?}")]
    Uppercase(String),
    #[error("invalid repository name: {0:?} is a 64-byte hexadecimal string")]
    Identifier(String),
    #[error("invalid reference format: {0:?}")]
    Format(String),
    #[error(
        "invalid reference format: repository name must not be more than 255 characters: {0:?}"
    )]
    TooLong(String),
    #[error("invalid tag format: {0:?}")]
    Tag(String),
    #[error("invalid digest format: {0:?}")]
    Digest(String),
}

const DOCKER_HUB: &str = "docker.io";

fn is_alnum_lower(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// One path component: `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`.
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum_lower(b[0]) || !is_alnum_lower(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum_lower(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: `.`, `_`, `__`, or any number of `-`.
        let start = i;
        while i < b.len() && !is_alnum_lower(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// A registry host: DNS labels (letters, digits, inner `-`) joined by `.`, or a bracketed
/// IPv6 address, then an optional `:port`.
fn valid_domain(d: &str) -> bool {
    let valid_port = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = d.strip_prefix('[') {
        let Some((addr, tail)) = rest.split_once(']') else {
            return false;
        };
        let addr_ok = !addr.is_empty() && addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
        return addr_ok && (tail.is_empty() || tail.strip_prefix(':').is_some_and(valid_port));
    }
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    let label_ok = |label: &str| {
        let b = label.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
    };
    port.is_none_or(valid_port) && host.split('.').all(label_ok)
}

/// `[\w][\w.-]{0,127}`.
fn valid_tag(t: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b.iter().all(|&x| word(x) || x == b'.' || x == b'-')
}

/// `algorithm:hex`, with sha256/sha512 lengths enforced as Docker does.
fn valid_digest(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    let alg_ok = !alg.is_empty()
        && alg.as_bytes()[0].is_ascii_alphabetic()
        && alg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'.'));
    let hex_ok = hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    let len_ok = match alg {
        "sha256" => hex.len() == 64 && hex.bytes().all(|b| !b.is_ascii_uppercase()),
        "sha512" => hex.len() == 128 && hex.bytes().all(|b| !b.is_ascii_uppercase()),
        _ => true,
    };
    alg_ok && hex_ok && len_ok
}

impl ImageRef {
    /// Parses and normalizes a reference as Docker's `ParseNormalizedNamed` plus
    /// `TagNameOnly` (an untagged, undigested reference gets `latest`).
    pub fn parse(input: &str) -> Result<ImageRef, RefError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(RefError::Empty(input.to_owned()));
        }
        if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(RefError::Identifier(input.to_owned()));
        }
        let (name_tag, digest) = match s.split_once('@') {
            Some((n, d)) => {
                if !valid_digest(d) {
                    return Err(RefError::Digest(input.to_owned()));
                }
                (n, Some(d.to_owned()))
            }
            None => (s, None),
        };
        // The tag's `:` comes after the last `/` (a registry port's does not).
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                let tag = &name_tag[at + 1..];
                if !valid_tag(tag) {
                    return Err(RefError::Tag(input.to_owned()));
                }
                (&name_tag[..at], Some(tag.to_owned()))
            }
            None => (name_tag, None),
        };
        let (registry, remainder) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.to_lowercase() != first =>
            {
                (first.to_owned(), rest.to_owned())
            }
            _ => (DOCKER_HUB.to_owned(), name.to_owned()),
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB.to_owned()
        } else {
            registry
        };
        if remainder.to_lowercase() != remainder {
            return Err(RefError::Uppercase(input.to_owned()));
        }
        let repository = if registry == DOCKER_HUB && !remainder.contains('/') {
            format!("library/{remainder}")
        } else {
            remainder
        };
        if !valid_domain(&registry) || !repository.split('/').all(valid_component) {
            return Err(RefError::Format(input.to_owned()));
        }
        if registry.len() + 1 + repository.len() > 255 {
            return Err(RefError::TooLong(input.to_owned()));
        }
        let tag = match (&tag, &digest) {
            (None, None) => Some("latest".to_owned()),
            _ => tag,
        };
        Ok(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// `registry/repository`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// What to ask the registry for: the digest when pinned, else the tag.
    pub fn reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for ImageRef {
    type Err = RefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageRef::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn normalizes_as_docker() {
        let cases = [
            ("nginx", "docker.io/library/nginx:latest"),
            ("nginx:1.27", "docker.io/library/nginx:1.27"),
            ("beclab/ollama:0.13.1", "docker.io/beclab/ollama:0.13.1"),
            (
                "docker.io/bitnami/nginx:1.29.1-debian-12-r0",
                "docker.io/bitnami/nginx:1.29.1-debian-12-r0",
            ),
            (
                "index.docker.io/library/redis",
                "docker.io/library/redis:latest",
            ),
            ("localhost/app", "localhost/app:latest"),
            ("localhost:5000/app:v1", "localhost:5000/app:v1"),
            (
                "registry.local:5000/team/sub/app",
                "registry.local:5000/team/sub/app:latest",
            ),
            (
                "ghcr.io/owner/app:v1.2.3_beta",
                "ghcr.io/owner/app:v1.2.3_beta",
            ),
            ("quay.io/a/b-c__d.e", "quay.io/a/b-c__d.e:latest"),
            ("Registry/app", "Registry/app:latest"),
            ("[::1]:5000/app", "[::1]:5000/app:latest"),
        ];
        for (input, want) in cases {
            assert_eq!(ImageRef::parse(input).unwrap().to_string(), want, "{input}");
        }
        let pinned = ImageRef::parse(&format!("redis@{D}")).unwrap();
        assert_eq!(pinned.to_string(), format!("docker.io/library/redis@{D}"));
        assert_eq!(pinned.reference(), D);
        let both = ImageRef::parse(&format!("redis:7@{D}")).unwrap();
        assert_eq!(both.to_string(), format!("docker.io/library/redis:7@{D}"));
        assert_eq!(both.name(), "docker.io/library/redis");
    }

    #[test]
    fn refuses_malformed_references() {
        for bad in [
            "",
            "Nginx",
            "docker.io/Library/nginx",
            "nginx:",
            "nginx:-bad",
            "nginx@sha256:abc",
            "a//b",
            "-a/b",
            "a/b-",
            "host:port/app",
            "a/b:c:d",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "registry.local:5000/team/app:${TAG}",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
