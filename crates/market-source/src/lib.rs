//! The market source protocol (DESIGN.md §5.4): a server that publishes a folder of
//! chart directories as a remote market source, so anyone can run their own app store.
//! The wire types are `market_model::protocol`'s; this crate builds them from charts.
//!
//! Owns: the [`Catalog`] read from a folder, and the [`router`] serving hash, info,
//! application details and chart downloads. Never: rendering charts per user (chart-repo
//! does), knowing about market's store, watching the file system (callers decide when to
//! [`Catalog::reload`]).
//!
//! # How a folder becomes a catalog
//!
//! Each sub-folder (hidden ones skipped) is one app chart. It is packaged as `helm package`
//! would (its files under its `.helmignore`, by `olares_chart::write_chart_archive`, so the
//! same folder always gives the same bytes; symbolic links only to files inside the app
//! folder), named `{name}-{version}.tgz`, and read back
//! through the capped reader chart-repo uses: a chart chart-repo would refuse is not
//! published. Its entry comes from the package's `OlaresManifest.yaml` and `Chart.yaml`,
//! which must agree on name and version; app id = first 8 hex digits of md5(name).
//! Derivation follows upstream's store: plain-string `title`/`description`/
//! `fullDescription`/`upgradeDescription` in the manifest's language, translations in
//! `i18n` (for the locales of `spec.locale` that have an `i18n/<locale>/OlaresManifest.yaml`),
//! `requiredMemory`/`Disk`/`GPU` (and the `limited*` ones) as whole bytes, `requiredCPU`
//! (and `limitedCPU`) as Go prints the number of cores, manifest sections (`permission`,
//! `entrances`, `options`, `middleware`, …) as JSON with Olares' names.
//!
//! A folder that cannot be published is skipped with a logged reason and listed in
//! [`Snapshot::skipped`]: a tombstone (`.remove` and no `Chart.yaml`, like the fixture
//! `dify`; logged at INFO), a manifest or chart that does not parse or render, a package
//! that breaks a reader limit, a name or id already taken (WARN).
//!
//! # Decisions
//!
//! - **Suspended apps are listed with `appLabels: ["suspend"]`**, in `data.apps` and in
//!   their details, as upstream lists them (a chart folder with `.remove` gets `remove`,
//!   `.nsfw` gets `nsfw`). The Olares market skips entries labelled `suspend` or `remove`
//!   when it syncs, so a market ends with the same apps as if they were omitted, while a
//!   box that installed a suspended app can still fetch its chart. From the fixture folder
//!   `olares/` (27 apps, 6 suspended, and the `dify` tombstone) the listing holds 27
//!   entries and a market keeps 21. `latest` and `tags` name only the apps a market keeps.
//! - **Templated manifests** (holding `{{`) are rendered before they are read, with
//!   `helm-template`, the chart's `values.yaml` and placeholder Olares values
//!   (`placeholder-values.yaml`: the shape of an installer's values, user `admin`, no
//!   `sysVersion`, empty per-user facts), as the admin and as another user, then merged as
//!   upstream merges the two views (needs that differ become `"<admin>||<user>"`, entrances
//!   and policies unioned). Only the chart's partials are loaded beside the manifest.
//! - **The hash** is SHA-256 over the listed apps' digests, each covering the entry as
//!   served and the package's SHA-256, plus the curated sections: any content change
//!   moves it, a version bump or not; file times and the clock never enter it. The Olares
//!   market re-reads an app's details only when its `version` changes, so publishers
//!   should still bump versions. `last_updated` (RFC 3339) is when this process first
//!   read the current content.
//! - **Version filtering** (the `version` query is the box's Olares version): an app is
//!   listed when one of its `olares`/`system` dependencies' Masterminds constraints admits
//!   the version, or when it declares none; no version (or `latest`, or one that does not
//!   parse) lists every app. The hash is per listing. Details and charts are served
//!   whatever the version, as upstream falls back to the latest.
//! - **Entry times**: `createTime`/`updateTime`/`updated_at` are the oldest and newest
//!   modification times of the app folder's files (the market ignores the first two).
//!   `lastCommitHash` is the app's content digest.

pub mod api;
mod catalog;
pub mod compat;
mod entry;
mod folder;
mod publish;
mod quantity;
mod render;
mod view;

pub use api::{ApiError, router};
pub use catalog::{Catalog, CatalogError, SkipReason, SkippedApp, Snapshot};
pub use compat::OsFilter;
pub use publish::PublishedApp;
pub use view::View;

/// The catalog entry of an app read from its chart (a plain or already rendered manifest),
/// packaged as `chart_name`, as a source publishes it. Times and revision are left zero.
pub fn app_entry(
    app: &olares_chart::OlaresApp,
    chart_name: &str,
) -> market_model::protocol::ApplicationInfoEntry {
    entry::build(app, chart_name, &[])
}
