//! The Helm repository index (`index.yaml`): its model, Helm's version order and
//! byte-exact YAML output, maintained incrementally (DESIGN.md §4.2).
//!
//! Owns: what `helm repo index` writes and the helm client accepts.
//! Never: network I/O, reading archives (packages arrive as parsed metadata and bytes).
