//! Many small images, fast: pushed over the registry's HTTP API directly (blob upload
//! POST + PUT, manifest PUT) instead of one `skopeo copy` per image, for benches and
//! end-to-end tests that need dozens or hundreds. [`RegistryServer::upload_single_arch`]
//! images share one layer and differ by their config, so each has its own manifest and
//! config digests; [`RegistryServer::upload_synthetic`] uploads what
//! [`push_synthetic`](RegistryServer::push_synthetic) pushes, any number of platforms.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};

use serde_json::{Value, json};

use crate::oci::{BuiltImage, Platform, hex_digest, layer_tar, write_layout_padded};
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

    /// [`push_synthetic`](RegistryServer::push_synthetic) without `skopeo`: the same
    /// image layout (one layer and config per platform, an index when there are several;
    /// `padding` bytes added to each layer's file, see [`write_layout_padded`]), uploaded
    /// blob by blob, each platform's manifest by digest, then the top object as
    /// `repository:tag`. The digests are those of the layout. Anonymous registries only.
    pub fn upload_synthetic(
        &self,
        repository: &str,
        tag: &str,
        platforms: &[&str],
        padding: usize,
    ) -> BuiltImage {
        let dir = tempfile::tempdir().expect("tempdir");
        let platforms: Vec<Platform> = platforms.iter().map(|p| Platform::parse(p)).collect();
        let name = format!("{repository}:{tag}");
        let built = write_layout_padded(dir.path(), &name, &platforms, padding);
        let read = |digest: &str| {
            let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
            std::fs::read(dir.path().join("blobs/sha256").join(hex)).expect("read layout blob")
        };
        const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
        const INDEX: &str = "application/vnd.oci.image.index.v1+json";
        for (_, manifest_digest, ..) in &built.platforms {
            let manifest = read(manifest_digest);
            let doc: Value = serde_json::from_slice(&manifest).expect("manifest JSON");
            let blobs = doc["layers"]
                .as_array()
                .into_iter()
                .flatten()
                .chain([&doc["config"]]);
            for blob in blobs {
                let digest = blob["digest"].as_str().expect("blob digest");
                self.upload_blob(repository, &read(digest), digest);
            }
            let reply = self.http(
                "PUT",
                &format!("/v2/{repository}/manifests/{manifest_digest}"),
                Some(MANIFEST),
                &manifest,
            );
            assert_eq!(
                reply.status, 201,
                "manifest PUT for {repository}@{manifest_digest}"
            );
        }
        let media = if built.platforms.len() == 1 {
            MANIFEST
        } else {
            INDEX
        };
        let reply = self.http(
            "PUT",
            &format!("/v2/{repository}/manifests/{tag}"),
            Some(media),
            &read(&built.digest),
        );
        assert_eq!(reply.status, 201, "{media} PUT for {repository}:{tag}");
        built
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
