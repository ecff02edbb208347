//! Rendering a templated `OlaresManifest.yaml` for the catalog, as upstream's store does:
//! twice, once as the admin sees it and once as another user does (shared apps differ),
//! with the chart's values and placeholder Olares values
//! (`placeholder-values.yaml`). Only the chart's partials (`_*.tpl`) are loaded beside
//! the manifest, so a chart template that fails without real values cannot fail the
//! catalog. Never: rendering the chart's templates (chart-repo does, per user).

use helm_template::values::Table;
use helm_template::{RenderOptions, load};
use olares_chart::manifest::OLARES_MANIFEST;

const PLACEHOLDERS: &str = include_str!("placeholder-values.yaml");

/// The name of the admin in the placeholder values (upstream's choice).
pub(crate) const ADMIN: &str = "admin";
/// The name of the non-admin viewer (upstream's choice).
pub(crate) const USER: &str = "user";

/// Whose view of the manifest a render is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Viewer {
    Admin,
    User,
}

impl Viewer {
    fn name(self) -> &'static str {
        match self {
            Viewer::Admin => ADMIN,
            Viewer::User => USER,
        }
    }
}

/// Whether a manifest holds template actions and must be rendered before it is read.
pub(crate) fn is_templated(manifest: &[u8]) -> bool {
    manifest.windows(2).any(|w| w == b"{{")
}

/// The placeholder Olares values for `viewer`.
pub(crate) fn placeholder_values(viewer: Viewer) -> Result<Table, String> {
    let text = PLACEHOLDERS
        .replace("@USER@", viewer.name())
        .replace("@ADMIN@", ADMIN);
    helm_template::chart::load_values(text.as_bytes())
        .map_err(|e| format!("placeholder values: {e}"))
}

/// Renders `manifest` as a template of the chart packaged in `package`, for `viewer`.
pub(crate) fn render_manifest(
    package: &[u8],
    manifest: &[u8],
    viewer: Viewer,
) -> Result<String, String> {
    let chart = load::load_archive(package).map_err(|e| e.to_string())?;
    let name = chart.name().to_owned();
    let values = placeholder_values(viewer)?;
    let options = RenderOptions {
        release_name: name.clone(),
        namespace: format!("{name}-{}", viewer.name()),
        ..RenderOptions::default()
    };
    helm_template::render_beside_partials(&chart, OLARES_MANIFEST, manifest, &values, &options)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_values_name_the_viewer_and_the_admin() {
        let admin = placeholder_values(Viewer::Admin).unwrap();
        assert_eq!(admin["bfl"]["username"], "admin");
        assert_eq!(admin["admin"], "admin");
        assert!(admin.get("sysVersion").is_none());
        let user = placeholder_values(Viewer::User).unwrap();
        assert_eq!(user["bfl"]["username"], "user");
        assert_eq!(user["admin"], "admin");
        assert_eq!(
            user["userspace"]["userData"],
            "/olares/rootfs/userspace/pvc-userspace-user/Home"
        );
    }

    #[test]
    fn templated_manifests_are_told_apart() {
        assert!(is_templated(b"a: {{ .Values.admin }}"));
        assert!(!is_templated(b"a: { b: 1 }"));
    }
}
