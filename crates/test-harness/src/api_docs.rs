//! Checks that `docs/api.md` lists every operation of a service's OpenAPI document, so
//! the page cannot fall behind the routes: each path appears as a whole token (not as
//! the start of a longer path) on a line that also names the method.

use serde_json::Value;

/// The part of a Markdown `page` from the heading line that starts with `heading` to
/// the next heading of the same or a higher level (or the end).
pub fn markdown_section<'a>(page: &'a str, heading: &str) -> Option<&'a str> {
    let start = page.find(&format!("\n{heading}"))? + 1;
    let level = heading.chars().take_while(|c| *c == '#').count();
    let rest = &page[start..];
    let end = rest
        .match_indices("\n#")
        .map(|(i, _)| i)
        .find(|i| {
            let hashes = rest[i + 1..].chars().take_while(|c| *c == '#').count();
            hashes <= level && rest[i + 1 + hashes..].starts_with(' ')
        })
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The operations (`METHOD path`) of `openapi` that `section` does not list. `prefix` is
/// taken off each path first (documents that give paths from the root, when the page
/// lists them under their prefix).
pub fn unlisted_operations(openapi: &Value, prefix: &str, section: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let Some(paths) = openapi["paths"].as_object() else {
        return vec!["the document has no paths".to_owned()];
    };
    for (path, operations) in paths {
        let listed = path.strip_prefix(prefix).unwrap_or(path);
        let lines: Vec<&str> = section.lines().filter(|l| has_token(l, listed)).collect();
        for method in operations.as_object().into_iter().flat_map(|o| o.keys()) {
            let method = method.to_uppercase();
            if !lines.iter().any(|l| l.contains(&method)) {
                missing.push(format!("{method} {listed}"));
            }
        }
    }
    missing
}

/// Whether `line` holds `path` with no path character right before or after it.
fn has_token(line: &str, path: &str) -> bool {
    let path_char = |c: char| c.is_alphanumeric() || "/{}-_.".contains(c);
    line.match_indices(path).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + path.len()..].chars().next();
        !before.is_some_and(path_char) && !after.is_some_and(path_char)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_counts_only_as_a_whole_token_on_a_line_with_its_method() {
        let doc = serde_json::json!({"paths": {
            "/v2/apps/{id}": {"delete": {}},
            "/v2/apps/{id}/install": {"post": {}, "delete": {}},
            "/v2/market/statesimple": {"get": {}},
        }});
        let page = "# x\n## Routes\n| `POST /apps/{id}/install` | a |\n\
                    | `GET /market/state`, `/market/statesimple` | b |\n## Other\n\
                    | `DELETE /apps/{id}` | c |\n| `DELETE /apps/{id}/install` | d |\n";
        let section = markdown_section(page, "## Routes").unwrap();
        assert!(!section.contains("Other"));
        assert_eq!(
            unlisted_operations(&doc, "/v2", section),
            ["DELETE /apps/{id}", "DELETE /apps/{id}/install"]
        );
        assert!(unlisted_operations(&doc, "/v2", page).is_empty());
    }
}
