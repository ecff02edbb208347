//! Many small single-arch images, fast: pushed over the registry's HTTP API directly
//! (blob upload POST + PUT, manifest PUT) instead of one `skopeo copy` per image, for
//! benches that need hundreds. Every image shares one layer and differs by its config,
//! so each has its own manifest and config digests.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};

use serde_json::json;

use crate::oci::{hex_digest, layer_tar};
use crate::registry::RegistryServer;

/// What one generated image is made of.
#[derive(Clone, Debug)]
pub struct UploadedImage {
    /// Digest of its manifest.
    pub digest: String,
    pub config_digest: String,
    pub layer_digest: String,
    pub layer_size: u64,
}

const SHARED_LAYER: &str = "shared layer\n";

struct Reply {
    status: u16,
    location: Option<String>,
}

impl RegistryServer {
    /// Pushes a `linux/amd64` image as `repository:tag`, whose config names `label`
    /// (distinct labels give distinct images). Anonymous registries only.
    pub fn upload_single_arch(&self, repository: &str, tag: &str, label: &str) -> UploadedImage {
        let layer_digest = format!("sha256:{}", hex_digest(&layer_tar(SHARED_LAYER)));
        let config = json!({
            "created": "2026-01-02T03:04:05Z",
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/hello"], "Labels": {"bench": label}},
            "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        })
        .to_string();
        self.upload_image(repository, tag, config.as_bytes())
    }

    /// Pushes an OCI image manifest with the shared layer and `config` as its config
    /// blob, whatever those bytes are (the registry does not read configs), so a test
    /// can serve a broken one.
    pub fn upload_image(&self, repository: &str, tag: &str, config: &[u8]) -> UploadedImage {
        let layer = layer_tar(SHARED_LAYER);
        let layer_digest = format!("sha256:{}", hex_digest(&layer));
        let config_digest = format!("sha256:{}", hex_digest(config));
        self.upload_blob(repository, &layer, &layer_digest);
        self.upload_blob(repository, config, &config_digest);
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}],
        })
        .to_string();
        let reply = self.http(
            "PUT",
            &format!("/v2/{repository}/manifests/{tag}"),
            Some("application/vnd.oci.image.manifest.v1+json"),
            manifest.as_bytes(),
        );
        assert_eq!(reply.status, 201, "manifest PUT for {repository}:{tag}");
        UploadedImage {
            digest: format!("sha256:{}", hex_digest(manifest.as_bytes())),
            config_digest,
            layer_digest,
            layer_size: layer.len() as u64,
        }
    }

    fn upload_blob(&self, repository: &str, bytes: &[u8], digest: &str) {
        let start = self.http(
            "POST",
            &format!("/v2/{repository}/blobs/uploads/"),
            None,
            b"",
        );
        assert_eq!(start.status, 202, "blob upload start for {repository}");
        let location = start.location.expect("the upload's Location");
        let path = location
            .strip_prefix(&format!("http://{}", self.host()))
            .unwrap_or(&location);
        let sep = if path.contains('?') { '&' } else { '?' };
        let done = self.http(
            "PUT",
            &format!("{path}{sep}digest={digest}"),
            Some("application/octet-stream"),
            bytes,
        );
        assert_eq!(done.status, 201, "blob PUT for {repository}");
    }

    /// One HTTP/1.1 request on its own connection (`Connection: close`).
    fn http(&self, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Reply {
        let mut stream =
            TcpStream::connect((Ipv4Addr::LOCALHOST, self.port())).expect("connect to registry");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: harness-upload\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.host(),
            body.len()
        );
        if let Some(t) = content_type {
            head.push_str(&format!("Content-Type: {t}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).expect("send request");
        stream.write_all(body).expect("send body");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("read reply");
        let status = reply
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let location = reply.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        });
        Reply { status, location }
    }
}
