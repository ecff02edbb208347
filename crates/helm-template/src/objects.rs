//! Helm's typed objects in template scope: `.Capabilities` (with its
//! `KubeVersion`, `APIVersions` and `HelmVersion`) and `.Files`, with the Go
//! type names, fields and methods templates can reach.

use std::rc::Rc;

use crate::error::FuncError;
use crate::value::{ArgType, ElemType, List, Map, Object, ObjectKind, Signature, Value};

/// The API versions Helm 4.2.3 (client-go v0.36) reports without a cluster.
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha2",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// Helm's default Kubernetes version (`helm template` without a cluster).
pub const DEFAULT_KUBE_VERSION: &str = "v1.36.0";

/// `*common.Capabilities`.
#[derive(Clone)]
pub struct Capabilities {
    kube: Rc<KubeVersion>,
    api: Rc<VersionSet>,
    helm: Rc<BuildInfo>,
}

impl Capabilities {
    /// Capabilities for a Kubernetes version such as `v1.36.0` or `1.30`.
    pub fn new(kube_version: &str) -> Result<Capabilities, String> {
        let kube = KubeVersion::parse(kube_version)?;
        Ok(Capabilities {
            kube: Rc::new(kube),
            api: Rc::new(VersionSet(
                DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect(),
            )),
            helm: Rc::new(BuildInfo),
        })
    }
}

impl Object for Capabilities {
    fn type_name(&self) -> String {
        "*common.Capabilities".into()
    }
    fn kind(&self) -> ObjectKind {
        ObjectKind::Pointer
    }
    fn fields(&self) -> Vec<(String, Value)> {
        vec![
            ("KubeVersion".into(), Value::Object(self.kube.clone())),
            ("APIVersions".into(), Value::Object(self.api.clone())),
            ("HelmVersion".into(), Value::Object(self.helm.clone())),
        ]
    }
}

/// `common.KubeVersion`.
pub struct KubeVersion {
    version: String,
    normalized: String,
    major: String,
    minor: String,
}

impl KubeVersion {
    fn parse(v: &str) -> Result<KubeVersion, String> {
        let body = v.strip_prefix('v').unwrap_or(v);
        let mut parts = body.splitn(3, '.');
        fn digits(s: Option<&str>) -> Option<&str> {
            s.filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        }
        let major = digits(parts.next()).ok_or_else(|| format!("invalid kube version {v:?}"))?;
        let minor = digits(parts.next()).ok_or_else(|| format!("invalid kube version {v:?}"))?;
        let patch = parts
            .next()
            .map(|p| p.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(""))
            .filter(|p| !p.is_empty())
            .unwrap_or("0");
        Ok(KubeVersion {
            version: format!("v{body}"),
            normalized: format!("v{major}.{minor}.{patch}"),
            major: major.to_owned(),
            minor: minor.to_owned(),
        })
    }
}

impl Object for KubeVersion {
    fn type_name(&self) -> String {
        "common.KubeVersion".into()
    }
    fn kind(&self) -> ObjectKind {
        ObjectKind::Struct
    }
    fn fields(&self) -> Vec<(String, Value)> {
        vec![
            ("Version".into(), Value::string(self.version.as_str())),
            (
                "normalizedVersion".into(),
                Value::string(self.normalized.as_str()),
            ),
            ("Major".into(), Value::string(self.major.as_str())),
            ("Minor".into(), Value::string(self.minor.as_str())),
        ]
    }
    fn method(&self, name: &str) -> Option<Signature> {
        (name == "GitVersion" || name == "String").then(|| Signature::new(&[]))
    }
    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, FuncError> {
        match name {
            "GitVersion" => Ok(Value::string(self.version.as_str())),
            _ => Ok(Value::string(self.normalized.as_str())),
        }
    }
    fn addressable_string(&self) -> Option<String> {
        Some(self.normalized.clone())
    }
    fn json_fields(&self) -> Option<Vec<(String, Value)>> {
        Some(vec![
            ("Version".into(), Value::string(self.version.as_str())),
            ("Major".into(), Value::string(self.major.as_str())),
            ("Minor".into(), Value::string(self.minor.as_str())),
        ])
    }
    fn to_json_value(&self) -> Value {
        Value::Map(Map::from_pairs([
            ("Version", Value::string(self.version.as_str())),
            ("Major", Value::string(self.major.as_str())),
            ("Minor", Value::string(self.minor.as_str())),
        ]))
    }
}

/// `common.VersionSet`: a `[]string` with `Has`.
pub struct VersionSet(Vec<String>);

impl Object for VersionSet {
    fn type_name(&self) -> String {
        "common.VersionSet".into()
    }
    fn kind(&self) -> ObjectKind {
        ObjectKind::Named
    }
    fn underlying(&self) -> Option<Value> {
        Some(Value::List(List::with_elem(
            self.0.iter().map(|s| Value::string(s.as_str())).collect(),
            ElemType::String,
        )))
    }
    fn method(&self, name: &str) -> Option<Signature> {
        (name == "Has").then(|| Signature::new(&[ArgType::String]))
    }
    fn call_method(&self, _name: &str, args: &[Value]) -> Result<Value, FuncError> {
        let wanted = args.first().and_then(Value::as_str).unwrap_or("");
        Ok(Value::Bool(self.0.iter().any(|v| v == wanted)))
    }
}

/// `version.BuildInfo` of the reference Helm library.
pub struct BuildInfo;

impl Object for BuildInfo {
    fn type_name(&self) -> String {
        "version.BuildInfo".into()
    }
    fn kind(&self) -> ObjectKind {
        ObjectKind::Struct
    }
    fn fields(&self) -> Vec<(String, Value)> {
        vec![
            ("Version".into(), Value::string("v4.2")),
            ("GitCommit".into(), Value::string("")),
            ("GitTreeState".into(), Value::string("")),
            ("GoVersion".into(), Value::string("go1.26.6")),
            ("KubeClientVersion".into(), Value::string("v1.36")),
        ]
    }
    fn json_fields(&self) -> Option<Vec<(String, Value)>> {
        Some(vec![
            ("version".into(), Value::string("v4.2")),
            ("go_version".into(), Value::string("go1.26.6")),
            ("kube_client_version".into(), Value::string("v1.36")),
        ])
    }
    fn to_json_value(&self) -> Value {
        Value::Map(Map::from_pairs([
            ("version", Value::string("v4.2")),
            ("go_version", Value::string("go1.26.6")),
            ("kube_client_version", Value::string("v1.36")),
        ]))
    }
}

/// A function that renders a `map[string]string` as `toYaml` does; the engine
/// hands it to `.Files` for `AsConfig`/`AsSecrets`.
pub type YamlOfStrings = fn(&[(String, String)]) -> String;

/// `common.Files`: the chart's non-template files, by path.
pub struct Files {
    files: Rc<Vec<(String, Rc<[u8]>)>>,
    to_yaml: YamlOfStrings,
}

impl Files {
    /// Files sorted by path (Go map order does not matter to any method but
    /// `range`, which sorts).
    pub fn new(mut files: Vec<(String, Rc<[u8]>)>, to_yaml: YamlOfStrings) -> Files {
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Files {
            files: Rc::new(files),
            to_yaml,
        }
    }

    fn get(&self, name: &str) -> Option<&Rc<[u8]>> {
        self.files.iter().find(|(n, _)| n == name).map(|(_, d)| d)
    }

    fn base_map(&self, encode: impl Fn(&[u8]) -> String) -> String {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, data) in self.files.iter() {
            let base = name.rsplit('/').next().unwrap_or(name).to_owned();
            // A later file with the same base name wins, as Go map assignment does.
            pairs.retain(|(b, _)| *b != base);
            pairs.push((base, encode(data)));
        }
        pairs.sort();
        (self.to_yaml)(&pairs)
    }
}

impl Object for Files {
    fn type_name(&self) -> String {
        "common.Files".into()
    }
    fn kind(&self) -> ObjectKind {
        ObjectKind::Named
    }
    fn underlying(&self) -> Option<Value> {
        let map = Map::with_type(Some(Rc::from("common.Files")), ElemType::Bytes);
        for (name, data) in self.files.iter() {
            map.insert(name.clone(), Value::Bytes(data.clone()));
        }
        Some(Value::Map(map))
    }
    fn method(&self, name: &str) -> Option<Signature> {
        match name {
            "Get" | "GetBytes" | "Glob" | "Lines" => Some(Signature::new(&[ArgType::String])),
            "AsConfig" | "AsSecrets" => Some(Signature::new(&[])),
            _ => None,
        }
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, FuncError> {
        let arg = args.first().and_then(Value::as_str).unwrap_or("");
        Ok(match name {
            "Get" => Value::string(
                self.get(arg)
                    .map(|d| String::from_utf8_lossy(d).into_owned())
                    .unwrap_or_default(),
            ),
            "GetBytes" => Value::Bytes(
                self.get(arg)
                    .cloned()
                    .unwrap_or_else(|| Rc::from(Vec::new())),
            ),
            "Glob" => {
                let picked = self
                    .files
                    .iter()
                    .filter(|(n, _)| glob_match(arg, n))
                    .cloned()
                    .collect();
                Value::Object(Rc::new(Files::new(picked, self.to_yaml)))
            }
            "Lines" => {
                let lines: Vec<Value> = match self.get(arg) {
                    None => Vec::new(),
                    Some(data) => {
                        let text = String::from_utf8_lossy(data);
                        let text = text.strip_suffix('\n').unwrap_or(&text);
                        text.split('\n').map(Value::string).collect()
                    }
                };
                Value::List(List::with_elem(lines, ElemType::String))
            }
            "AsConfig" => Value::string(self.base_map(|d| String::from_utf8_lossy(d).into_owned())),
            _ => Value::string(self.base_map(base64_std)),
        })
    }
}

/// gobwas/glob with `/` as separator: `*` and `?` stay within a path segment,
/// `**` crosses segments, `[…]`/`[!…]` classes, `{a,b}` alternatives.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_at(&p, &n)
}

fn glob_at(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') if p.get(1) == Some(&'*') => (0..=n.len()).any(|i| glob_at(&p[2..], &n[i..])),
        Some('*') => {
            let mut i = 0;
            loop {
                if glob_at(&p[1..], &n[i..]) {
                    return true;
                }
                if i == n.len() || n[i] == '/' {
                    return false;
                }
                i += 1;
            }
        }
        Some('?') => n.first().is_some_and(|&c| c != '/') && glob_at(&p[1..], &n[1..]),
        Some('[') => {
            let Some(end) = p.iter().skip(1).position(|&c| c == ']').map(|i| i + 1) else {
                return n.first() == Some(&'[') && glob_at(&p[1..], &n[1..]);
            };
            let class = &p[1..end];
            let (negate, class) = match class.first() {
                Some('!') => (true, &class[1..]),
                _ => (false, class),
            };
            let Some(&c) = n.first() else { return false };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != negate && c != '/' && glob_at(&p[end + 1..], &n[1..])
        }
        Some('{') => {
            let Some(end) = p.iter().position(|&c| c == '}') else {
                return n.first() == Some(&'{') && glob_at(&p[1..], &n[1..]);
            };
            let rest = &p[end + 1..];
            p[1..end].split(|&c| c == ',').any(|alt| {
                let mut joined = alt.to_vec();
                joined.extend_from_slice(rest);
                glob_at(&joined, n)
            })
        }
        Some('\\') if p.len() > 1 => n.first() == Some(&p[1]) && glob_at(&p[2..], &n[1..]),
        Some(&c) => n.first() == Some(&c) && glob_at(&p[1..], &n[1..]),
    }
}

/// Standard base64 with padding.
pub fn base64_std(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_as_gobwas_with_slash_separator() {
        for (p, n, want) in [
            ("f.*", "f.txt", true),
            ("*.txt", "dir/f.txt", false),
            ("**.txt", "dir/f.txt", true),
            ("dir/*", "dir/a", true),
            ("dir/*", "dir/a/b", false),
            ("dir/**", "dir/a/b", true),
            ("f?.txt", "f1.txt", true),
            ("[ab].txt", "b.txt", true),
            ("[!ab].txt", "b.txt", false),
            ("{a,b}.yaml", "b.yaml", true),
        ] {
            assert_eq!(glob_match(p, n), want, "{p} {n}");
        }
    }

    #[test]
    fn base64_matches_the_standard_encoding() {
        assert_eq!(base64_std(b"hello\nworld\n"), "aGVsbG8Kd29ybGQK");
        assert_eq!(base64_std("é😀".as_bytes()), "w6nwn5iA");
        assert_eq!(base64_std(b"a"), "YQ==");
    }

    #[test]
    fn kube_version_normalizes() {
        let k = KubeVersion::parse("1.30").unwrap();
        assert_eq!(
            (
                k.version.as_str(),
                k.normalized.as_str(),
                k.major.as_str(),
                k.minor.as_str()
            ),
            ("v1.30", "v1.30.0", "1", "30")
        );
        assert!(KubeVersion::parse("x").is_err());
    }
}
