//! Bytes in, typed chart out: the capped `.tgz` reader and deterministic writer,
//! `Chart.yaml`, `values.yaml`, `OlaresManifest.yaml`, i18n and marker files.
//!
//! Owns: the only way the project opens a chart archive (DESIGN.md §4.3 step 1, §7).
//! Never: network I/O, rendering templates (that is `helm-template`).
