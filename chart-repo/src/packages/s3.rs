//! Packages in an S3-compatible bucket (`CHART_REPO_PACKAGES=s3://bucket/prefix`), so
//! several chart-repo replicas share them: objects are read, written, probed and
//! deleted with path-style requests (`{endpoint}/{bucket}/{prefix}{name}`) signed with
//! AWS Signature Version 4, over the HTTP client the service already has.
//!
//! Only the four object operations (and creating the bucket when it is missing) are
//! needed: a package is written whole (at most 100 MiB, already in memory) and replaced
//! whole, so there is no multipart upload, listing or presigning here. The payload is
//! signed (`x-amz-content-sha256` is its real SHA-256), so a proxy cannot alter it.
//!
//! Never: retries (the hydrator retries a failed step; a failed read is the client's
//! retry), or TLS settings of its own (the client's rustls and system-independent roots).

use std::fmt::Write as _;
use std::time::Duration;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use url::Url;

/// How long one request may take: packages are at most 100 MiB.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// A listing of at most one key: the query as sent and signed (sorted, encoded).
const LIST_ONE: &str = "list-type=2&max-keys=1";
/// The SHA-256 of an empty payload.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Where the bucket is and how to sign for it (`CHART_REPO_S3_*`).
#[derive(Clone)]
pub struct S3Settings {
    /// `http(s)://host[:port][/path]`: the service (AWS, MinIO, Ceph, s3s-fs…).
    pub endpoint: Url,
    pub bucket: String,
    /// Prepended to every object name: empty, or ends with `/`.
    pub prefix: String,
    pub region: String,
    /// None: unsigned requests (a bucket that allows anonymous access).
    pub credentials: Option<S3Credentials>,
}

/// An access key pair; the secret is never printed.
#[derive(Clone)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "s3://{}/{} at {} ({}, {})",
            self.bucket,
            self.prefix,
            self.endpoint,
            self.region,
            match &self.credentials {
                Some(c) => format!("key {} [secret redacted]", c.access_key_id),
                None => "unsigned".into(),
            }
        )
    }
}

impl PartialEq for S3Settings {
    /// Compares everything but the secret.
    fn eq(&self, other: &Self) -> bool {
        let key = |s: &Self| s.credentials.as_ref().map(|c| c.access_key_id.clone());
        self.endpoint == other.endpoint
            && self.bucket == other.bucket
            && self.prefix == other.prefix
            && self.region == other.region
            && key(self) == key(other)
    }
}

impl Eq for S3Settings {}

/// Why an S3 request failed.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("{op} {object}: no answer from {endpoint}: {reason}")]
    Transport {
        op: &'static str,
        object: String,
        endpoint: String,
        reason: String,
    },
    #[error("{op} {object}: {status} {code}{message}")]
    Refused {
        op: &'static str,
        object: String,
        status: u16,
        /// The S3 error code (`AccessDenied`, `NoSuchBucket`, `SlowDown`…), when answered.
        code: String,
        /// `: message`, when answered.
        message: String,
    },
}

impl S3Error {
    /// Whether the same request may succeed later (no answer, throttling, 5xx).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Refused { status, .. } => *status >= 500 || *status == 429,
        }
    }
}

/// One bucket, and the client that talks to it.
#[derive(Debug)]
pub struct S3Bucket {
    http: reqwest::Client,
    settings: S3Settings,
    /// The `Host` header the requests carry (and sign).
    host: String,
}

impl S3Bucket {
    pub fn new(mut settings: S3Settings) -> Result<Self, String> {
        if !settings.prefix.is_empty() && !settings.prefix.ends_with('/') {
            settings.prefix.push('/');
        }
        let host = match (settings.endpoint.host_str(), settings.endpoint.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(format!("{} has no host", settings.endpoint)),
        };
        let http = reqwest::Client::builder()
            .user_agent(concat!("chart-repo/", env!("CARGO_PKG_VERSION")))
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            settings,
            host,
        })
    }

    /// Checks the bucket answers (a one-key listing: unlike a HEAD, its refusals carry
    /// an error code), and creates it when it does not exist.
    pub async fn ensure_bucket(&self) -> Result<(), S3Error> {
        let path = self.bucket_path();
        let bucket = self.bucket_name();
        let res = self
            .send(reqwest::Method::GET, &path, LIST_ONE, None)
            .await
            .map_err(|e| self.transport("ListObjectsV2", &bucket, &e))?;
        match res.status().as_u16() {
            200 => Ok(()),
            404 => {
                let body = self.create_bucket_body().map(Bytes::from);
                let res = self
                    .send(reqwest::Method::PUT, &path, "", body)
                    .await
                    .map_err(|e| self.transport("CreateBucket", &bucket, &e))?;
                match res.status().as_u16() {
                    200 => Ok(()),
                    _ => Err(refused("CreateBucket", bucket, res).await),
                }
            }
            _ => Err(refused("ListObjectsV2", bucket, res).await),
        }
    }

    /// The object's bytes; `None` when there is no such object.
    pub async fn get(&self, name: &str) -> Result<Option<Bytes>, S3Error> {
        let res = self
            .object("GetObject", name, reqwest::Method::GET, None)
            .await?;
        match res.status().as_u16() {
            200 => res
                .bytes()
                .await
                .map(Some)
                .map_err(|e| self.transport("GetObject", &self.object_name(name), &e)),
            404 => Ok(None),
            _ => Err(refused("GetObject", self.object_name(name), res).await),
        }
    }

    /// Whether the object exists.
    pub async fn exists(&self, name: &str) -> Result<bool, S3Error> {
        let res = self
            .object("HeadObject", name, reqwest::Method::HEAD, None)
            .await?;
        match res.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(refused("HeadObject", self.object_name(name), res).await),
        }
    }

    /// Writes the object whole, replacing any (S3 writes are atomic per object).
    pub async fn put(&self, name: &str, bytes: Bytes) -> Result<(), S3Error> {
        let res = self
            .object("PutObject", name, reqwest::Method::PUT, Some(bytes))
            .await?;
        match res.status().as_u16() {
            200 => Ok(()),
            _ => Err(refused("PutObject", self.object_name(name), res).await),
        }
    }

    /// Deletes the object; a missing one is not an error.
    pub async fn delete(&self, name: &str) -> Result<(), S3Error> {
        let res = self
            .object("DeleteObject", name, reqwest::Method::DELETE, None)
            .await?;
        match res.status().as_u16() {
            200 | 204 | 404 => Ok(()),
            _ => Err(refused("DeleteObject", self.object_name(name), res).await),
        }
    }

    fn bucket_path(&self) -> String {
        let base = self.settings.endpoint.path().trim_end_matches('/');
        format!("{base}/{}", uri_encode(&self.settings.bucket, false))
    }

    /// The URI path of an object: endpoint path, bucket, prefix and name, encoded.
    fn path(&self, name: &str) -> String {
        let object = format!("{}{name}", self.settings.prefix);
        format!("{}/{}", self.bucket_path(), uri_encode(&object, true))
    }

    fn create_bucket_body(&self) -> Option<String> {
        // us-east-1 is the default location and must not be named.
        (self.settings.region != "us-east-1").then(|| {
            format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                 <LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.settings.region
            )
        })
    }

    /// One request about an object.
    async fn object(
        &self,
        op: &'static str,
        name: &str,
        method: reqwest::Method,
        body: Option<Bytes>,
    ) -> Result<reqwest::Response, S3Error> {
        self.send(method, &self.path(name), "", body)
            .await
            .map_err(|e| self.transport(op, &self.object_name(name), &e))
    }

    /// Sends a request, signed when there are credentials; `path` and `query` as sent.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &str,
        body: Option<Bytes>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let payload_sha256 = match &body {
            Some(bytes) => hex::encode(Sha256::digest(bytes)),
            None => EMPTY_SHA256.to_owned(),
        };
        let mut url = self.settings.endpoint.clone();
        url.set_path(path);
        url.set_query((!query.is_empty()).then_some(query));
        let mut request = self
            .http
            .request(method.clone(), url)
            .header("x-amz-content-sha256", &payload_sha256);
        if let Some(credentials) = &self.settings.credentials {
            let now = Utc::now();
            let amz_date = amz_date(now);
            let headers = [
                ("host", self.host.as_str()),
                ("x-amz-content-sha256", payload_sha256.as_str()),
                ("x-amz-date", amz_date.as_str()),
            ];
            let authorization = authorization(&Signing {
                credentials,
                region: &self.settings.region,
                service: "s3",
                now,
                method: method.as_str(),
                canonical_uri: path,
                canonical_query: query,
                headers: &headers,
                payload_sha256: &payload_sha256,
            });
            request = request
                .header("x-amz-date", amz_date)
                .header("authorization", authorization);
        }
        if let Some(bytes) = body {
            request = request.body(bytes);
        }
        request.send().await
    }

    fn transport(&self, op: &'static str, object: &str, e: &reqwest::Error) -> S3Error {
        // The error's own text names the URL; the source says why.
        let reason = std::error::Error::source(e).map_or_else(|| e.to_string(), |s| s.to_string());
        S3Error::Transport {
            op,
            object: object.to_owned(),
            endpoint: self.host.clone(),
            reason,
        }
    }

    fn bucket_name(&self) -> String {
        format!("s3://{}", self.settings.bucket)
    }

    fn object_name(&self, name: &str) -> String {
        format!(
            "s3://{}/{}{name}",
            self.settings.bucket, self.settings.prefix
        )
    }
}

/// An S3 error answer: the status, and `Code`/`Message` from its XML body when present.
async fn refused(op: &'static str, object: String, res: reqwest::Response) -> S3Error {
    let status = res.status().as_u16();
    let body = res.text().await.unwrap_or_default();
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find(&format!("</{name}>"))? + start;
        Some(body[start..end].to_owned())
    };
    S3Error::Refused {
        op,
        object,
        status,
        code: element("Code").unwrap_or_else(|| "(no error code)".into()),
        message: element("Message")
            .map(|m| format!(": {m}"))
            .unwrap_or_default(),
    }
}

/// What one request's signature covers.
struct Signing<'a> {
    credentials: &'a S3Credentials,
    region: &'a str,
    service: &'a str,
    now: DateTime<Utc>,
    method: &'a str,
    /// The URI path as sent (already encoded).
    canonical_uri: &'a str,
    canonical_query: &'a str,
    /// Lower-case names, sorted, values as sent.
    headers: &'a [(&'a str, &'a str)],
    payload_sha256: &'a str,
}

fn amz_date(now: DateTime<Utc>) -> String {
    now.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The `Authorization` header of Signature Version 4.
fn authorization(s: &Signing<'_>) -> String {
    let date = s.now.format("%Y%m%d").to_string();
    let mut canonical_headers = String::new();
    for (name, value) in s.headers {
        let _ = writeln!(canonical_headers, "{name}:{}", value.trim());
    }
    let signed_headers = s
        .headers
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        s.method, s.canonical_uri, s.canonical_query, s.payload_sha256
    );
    let scope = format!("{date}/{}/{}/aws4_request", s.region, s.service);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        amz_date(s.now),
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let secret = format!("AWS4{}", s.credentials.secret_access_key.expose_secret());
    let mut key = hmac(secret.as_bytes(), date.as_bytes());
    for part in [s.region, s.service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        s.credentials.access_key_id
    )
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Percent-encodes all but the unreserved characters (and `/` in a path), as S3's
/// canonical URI wants them and as the request sends them.
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "GET Object" example of AWS's Signature Version 4 documentation for S3
    /// ("Examples: Signature Calculations in AWS Signature Version 4").
    #[test]
    fn signs_the_aws_documentation_example() {
        let credentials = S3Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned().into(),
        };
        let now = DateTime::parse_from_rfc3339("2013-05-24T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let headers = [
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ];
        let header = authorization(&Signing {
            credentials: &credentials,
            region: "us-east-1",
            service: "s3",
            now,
            method: "GET",
            canonical_uri: "/test.txt",
            canonical_query: "",
            headers: &headers,
            payload_sha256: EMPTY_SHA256,
        });
        assert_eq!(
            header,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn object_paths_are_encoded_once_and_keep_their_slashes() {
        let bucket = S3Bucket::new(S3Settings {
            endpoint: "http://127.0.0.1:9000/s3/".parse().unwrap(),
            bucket: "charts".into(),
            prefix: "prod/".into(),
            region: "us-east-1".into(),
            credentials: None,
        })
        .unwrap();
        assert_eq!(bucket.host, "127.0.0.1:9000");
        assert_eq!(
            bucket.path("rendered/alice/market.olares/app-1.0.0+build.1.tgz"),
            "/s3/charts/prod/rendered/alice/market.olares/app-1.0.0%2Bbuild.1.tgz"
        );
        assert_eq!(uri_encode("a b~c", false), "a%20b~c");
    }

    #[test]
    fn settings_never_show_the_secret() {
        let settings = S3Settings {
            endpoint: "https://s3.eu-west-1.amazonaws.com".parse().unwrap(),
            bucket: "charts".into(),
            prefix: String::new(),
            region: "eu-west-1".into(),
            credentials: Some(S3Credentials {
                access_key_id: "AKID".into(),
                secret_access_key: "very-secret".to_owned().into(),
            }),
        };
        let shown = format!("{settings:?}");
        assert!(
            shown.contains("AKID") && !shown.contains("very-secret"),
            "{shown}"
        );
        let bucket = S3Bucket::new(settings).unwrap();
        assert!(bucket.create_bucket_body().unwrap().contains("eu-west-1"));
        assert!(!format!("{bucket:?}").contains("very-secret"));
    }
}
