//! The registry documents analysis reads, as serde shapes: image manifests and indexes
//! (OCI and Docker v2), and the image config's few fields we use. Parsing refuses
//! schema 1, unknown media types and digests that could not be a blob path.

use serde::Deserialize;

/// A content descriptor: media type, digest, size, and for index entries the platform.
#[derive(Clone, Debug, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<Platform>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

/// One platform's image: its config and layers.
#[derive(Clone, Debug, Deserialize)]
pub struct ImageManifest {
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// A list of per-platform manifests.
#[derive(Clone, Debug, Deserialize)]
pub struct ImageIndex {
    pub manifests: Vec<Descriptor>,
}

/// What a manifest GET can return.
#[derive(Clone, Debug)]
pub enum Manifest {
    Image(ImageManifest),
    Index(ImageIndex),
}

/// The image config's fields analysis reports.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub variant: Option<String>,
}

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
const IMAGE_TYPES: [&str; 2] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "schemaVersion", default)]
    schema_version: Option<u64>,
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
}

/// Parses a manifest by the media type in its body, else the `Content-Type` header,
/// else its shape (an OCI index may name neither).
pub fn parse_manifest(content_type: Option<&str>, bytes: &[u8]) -> Result<Manifest, String> {
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    if probe.schema_version != Some(2) {
        return Err(format!(
            "unsupported manifest schema version {}",
            probe
                .schema_version
                .map_or("(none)".into(), |v| v.to_string())
        ));
    }
    let header_type = content_type.map(|c| c.split(';').next().unwrap_or(c).trim().to_owned());
    let media_type = probe.media_type.or(header_type).unwrap_or_default();
    let is_index = if INDEX_TYPES.contains(&media_type.as_str()) {
        true
    } else if IMAGE_TYPES.contains(&media_type.as_str()) {
        false
    } else if media_type.is_empty() || media_type == "application/json" {
        probe.manifests.is_some()
    } else {
        return Err(format!("unsupported manifest media type {media_type:?}"));
    };
    let manifest = if is_index {
        Manifest::Index(serde_json::from_slice(bytes).map_err(|e| format!("bad index: {e}"))?)
    } else {
        Manifest::Image(serde_json::from_slice(bytes).map_err(|e| format!("bad manifest: {e}"))?)
    };
    let digests: Vec<&str> = match &manifest {
        Manifest::Index(ix) => ix.manifests.iter().map(|d| d.digest.as_str()).collect(),
        Manifest::Image(m) => std::iter::once(&m.config)
            .chain(&m.layers)
            .map(|d| d.digest.as_str())
            .collect(),
    };
    match digests.into_iter().find(|d| !is_digest(d)) {
        Some(bad) => Err(format!("invalid digest {bad:?}")),
        None => Ok(manifest),
    }
}

/// `algorithm:hex` with a safe algorithm name: what may go into a blob URL.
pub fn is_digest(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    !alg.is_empty()
        && alg.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'.' | b'_' | b'-')
        })
        && hex.len() >= 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The `sha256:` digest of bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn reads_indexes_and_images_by_type_or_shape() {
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"digest":"{D}","size":1,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#
        );
        let Manifest::Index(ix) = parse_manifest(None, index.as_bytes()).unwrap() else {
            panic!("an index")
        };
        assert_eq!(
            ix.manifests[0]
                .platform
                .as_ref()
                .unwrap()
                .variant
                .as_deref(),
            Some("v8")
        );
        let image = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"digest":"{D}","size":2}},"layers":[{{"digest":"{D}","size":3}}]}}"#
        );
        let Manifest::Image(m) =
            parse_manifest(Some("application/json"), image.as_bytes()).unwrap()
        else {
            panic!("an image")
        };
        assert_eq!(m.layers[0].size, 3);
    }

    #[test]
    fn refuses_what_is_not_a_v2_manifest() {
        assert!(
            parse_manifest(None, b"<html>")
                .unwrap_err()
                .contains("not JSON")
        );
        assert!(
            parse_manifest(None, br#"{"schemaVersion":1}"#)
                .unwrap_err()
                .contains("schema")
        );
        let odd = br#"{"schemaVersion":2,"mediaType":"text/plain"}"#;
        assert!(
            parse_manifest(None, odd)
                .unwrap_err()
                .contains("media type")
        );
        let traversal =
            r#"{"schemaVersion":2,"config":{"digest":"sha256:../../x","size":1},"layers":[]}"#;
        assert!(
            parse_manifest(None, traversal.as_bytes())
                .unwrap_err()
                .contains("invalid digest")
        );
        let missing =
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
        assert!(
            parse_manifest(None, missing)
                .unwrap_err()
                .contains("bad manifest")
        );
    }
}
