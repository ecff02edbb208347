//! Small synthetic images for the harness registry: an OCI image layout written here (one
//! uncompressed tar layer and a config per platform; several platforms make an image
//! index), pushed with `skopeo copy` under any name, e.g. a fixture's real image name, so
//! image analysis is tested against a real registry without leaving the machine.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::process::find_program;
use crate::registry::RegistryServer;

/// One platform of a synthetic image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// `linux/amd64`, `linux/arm64/v8`.
    pub fn parse(s: &str) -> Self {
        let mut parts = s.split('/');
        Self {
            os: parts.next().unwrap_or("linux").to_owned(),
            architecture: parts.next().unwrap_or("amd64").to_owned(),
            variant: parts.next().map(str::to_owned),
        }
    }
}

/// What was written: each platform's manifest digest and sizes, and the top digest.
#[derive(Clone, Debug)]
pub struct BuiltImage {
    /// Digest of the top object (the manifest of a single-platform image, else the index).
    pub digest: String,
    /// Per platform: (platform, manifest digest, layer digest, layer size, config created).
    pub platforms: Vec<(Platform, String, String, u64, String)>,
}

fn blob(dir: &Path, bytes: &[u8]) -> (String, u64) {
    let hex = hex_digest(bytes);
    let path = dir.join("blobs/sha256").join(&hex);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    (format!("sha256:{hex}"), bytes.len() as u64)
}

pub(crate) fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A one-file tar archive (`/hello` holding `text`).
pub(crate) fn layer_tar(text: &str) -> Vec<u8> {
    let data = text.as_bytes();
    let mut header = [0u8; 512];
    header[..5].copy_from_slice(b"hello");
    header[100..108].copy_from_slice(b"0000644\0");
    header[108..116].copy_from_slice(b"0000000\0");
    header[116..124].copy_from_slice(b"0000000\0");
    header[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
    header[136..148].copy_from_slice(b"00000000000\0");
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = header.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out.resize(out.len() + 1024, 0);
    out
}

/// Writes an OCI image layout at `dir` (tag `latest`) with one image per platform; the
/// layer of each holds `name` and the platform, so every platform has distinct blobs.
pub fn write_layout(dir: &Path, name: &str, platforms: &[Platform]) -> BuiltImage {
    write_layout_padded(dir, name, platforms, 0)
}

/// [`write_layout`] with `padding` more bytes in each layer's file (so layers of different
/// images can differ in size: a tar layer grows by 512-byte blocks).
pub fn write_layout_padded(
    dir: &Path,
    name: &str,
    platforms: &[Platform],
    padding: usize,
) -> BuiltImage {
    assert!(!platforms.is_empty(), "an image needs a platform");
    std::fs::create_dir_all(dir.join("blobs/sha256")).expect("create layout");
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
        .expect("write oci-layout");
    let created = "2026-01-02T03:04:05Z".to_owned();
    let mut built = Vec::new();
    let mut manifests = Vec::new();
    for p in platforms {
        let label = format!(
            "{name} {}/{}{}",
            p.os,
            p.architecture,
            p.variant
                .as_deref()
                .map(|v| format!("/{v}"))
                .unwrap_or_default()
        );
        let layer = layer_tar(&format!("{label}\n{}", ".".repeat(padding)));
        let (layer_digest, layer_size) = blob(dir, &layer);
        let mut config = json!({
            "created": created,
            "architecture": p.architecture,
            "os": p.os,
            "config": {"Cmd": ["/hello"]},
            "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        });
        if let Some(v) = &p.variant {
            config["variant"] = Value::String(v.clone());
        }
        let (config_digest, config_size) = blob(dir, config.to_string().as_bytes());
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer_size}],
        });
        let (manifest_digest, manifest_size) = blob(dir, manifest.to_string().as_bytes());
        let mut platform = json!({"os": p.os, "architecture": p.architecture});
        if let Some(v) = &p.variant {
            platform["variant"] = Value::String(v.clone());
        }
        manifests.push(json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest_size,
            "platform": platform,
        }));
        built.push((
            p.clone(),
            manifest_digest,
            layer_digest,
            layer_size,
            created.clone(),
        ));
    }
    let mut top = if manifests.len() == 1 {
        let mut m = manifests.remove(0);
        m.as_object_mut().map(|o| o.remove("platform"));
        m
    } else {
        let index = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests,
        });
        let (digest, size) = blob(dir, index.to_string().as_bytes());
        json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": size})
    };
    let digest = top["digest"].as_str().unwrap_or_default().to_owned();
    top["annotations"] = json!({"org.opencontainers.image.ref.name": "latest"});
    let index = json!({"schemaVersion": 2, "manifests": [top]});
    std::fs::write(dir.join("index.json"), index.to_string()).expect("write index.json");
    BuiltImage {
        digest,
        platforms: built,
    }
}

impl RegistryServer {
    /// Builds a synthetic image for `platforms` and pushes it as `repository:tag` (a
    /// repository path such as `beclab/ollama-ollama`), keeping its digests.
    pub fn push_synthetic(&self, repository: &str, tag: &str, platforms: &[&str]) -> BuiltImage {
        let skopeo = find_program("skopeo", &["/usr/bin/skopeo"], "apt-get install skopeo");
        let dir = tempfile::tempdir().expect("tempdir");
        let platforms: Vec<Platform> = platforms.iter().map(|p| Platform::parse(p)).collect();
        let built = write_layout(dir.path(), &format!("{repository}:{tag}"), &platforms);
        let mut cmd = Command::new(skopeo);
        cmd.args([
            "copy",
            "--all",
            "--preserve-digests",
            "--dest-tls-verify=false",
        ]);
        if let Some((user, password)) = self.credentials() {
            cmd.arg(format!("--dest-creds={user}:{password}"));
        }
        let out = cmd
            .arg(format!("oci:{}:latest", dir.path().display()))
            .arg(format!("docker://{}/{repository}:{tag}", self.host()))
            .output()
            .expect("run skopeo");
        assert!(
            out.status.success(),
            "skopeo copy to the harness registry failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        built
    }
}
