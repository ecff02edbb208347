//! Parsing of a tar entry's name into safe path components. It owns the rules for which names a
//! chart may hold; it never looks at entry types or contents.

/// Why a name was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathProblem {
    Empty,
    Absolute,
    Traversal,
    Backslash,
    DriveLetter,
}

/// Splits `name` into its components, dropping empty and `.` components (`./chart/a` and
/// `chart//a` name `chart/a`). Refuses absolute names, `..`, backslashes (Helm would read them
/// as Windows separators) and a `c:` first component inside the chart (Helm refuses those).
pub(crate) fn components(name: &str) -> Result<Vec<&str>, PathProblem> {
    if name.is_empty() {
        return Err(PathProblem::Empty);
    }
    if name.starts_with('/') {
        return Err(PathProblem::Absolute);
    }
    if name.contains('\\') {
        return Err(PathProblem::Backslash);
    }
    let parts: Vec<&str> = name
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if parts.contains(&"..") {
        return Err(PathProblem::Traversal);
    }
    if parts.get(1).is_some_and(|c| is_drive_letter(c)) {
        return Err(PathProblem::DriveLetter);
    }
    Ok(parts)
}

/// `c:` and the like, which Helm's loader refuses at the start of a path inside the chart.
fn is_drive_letter(component: &str) -> bool {
    matches!(component.as_bytes(), [letter, b':'] if letter.is_ascii_alphabetic())
}

/// Checks a path the writer is asked to store: relative, already normal (no empty, `.` or
/// `..` components), and without backslashes.
pub(crate) fn check_normal(path: &str) -> Result<(), PathProblem> {
    if path.is_empty() {
        return Err(PathProblem::Empty);
    }
    if path.starts_with('/') {
        return Err(PathProblem::Absolute);
    }
    if path.contains('\\') {
        return Err(PathProblem::Backslash);
    }
    if path
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(PathProblem::Traversal);
    }
    Ok(())
}

impl PathProblem {
    /// A sentence fragment for error messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Empty => "is empty",
            Self::Absolute => "is absolute",
            Self::Traversal => "has an empty, `.` or `..` component",
            Self::Backslash => "contains a backslash",
            Self::DriveLetter => "starts with a drive letter",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_dot_and_empty_components() {
        assert_eq!(
            components("./chart//templates/./a.yaml"),
            Ok(vec!["chart", "templates", "a.yaml"])
        );
        assert_eq!(components("./"), Ok(vec![]));
    }

    #[test]
    fn refuses_unsafe_names() {
        assert_eq!(components(""), Err(PathProblem::Empty));
        assert_eq!(components("/etc/passwd"), Err(PathProblem::Absolute));
        assert_eq!(components("chart/../../x"), Err(PathProblem::Traversal));
        assert_eq!(components("chart\\..\\x"), Err(PathProblem::Backslash));
        assert_eq!(components("chart/c:/x"), Err(PathProblem::DriveLetter));
    }

    #[test]
    fn writer_paths_must_be_normal() {
        assert_eq!(check_normal("templates/a.yaml"), Ok(()));
        assert_eq!(
            check_normal("templates//a.yaml"),
            Err(PathProblem::Traversal)
        );
        assert_eq!(check_normal("./a"), Err(PathProblem::Traversal));
        assert_eq!(check_normal("a/"), Err(PathProblem::Traversal));
    }
}
