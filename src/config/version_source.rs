//! Dynamic `version`, read statically: a string literal assigned in a module, or a file.
//! Never imports the package (it may need the compiled modules we are about to build).

use std::path::Path;

use super::layout::PythonLayout;
use super::{ConfigError, Spanned, VersionOrigin, VersionSource};
use crate::diagnostic::SourceFile;

/// The version text named by `source` (not yet validated as PEP 440).
pub(super) fn read(
    source: &VersionSource,
    root: &Path,
    python: &PythonLayout,
    file: &SourceFile,
) -> Result<String, ConfigError> {
    match source {
        VersionSource::File { path, span, key } => {
            super::paths::check_project_file(root, file, key, &Spanned::new(span.clone(), path.clone()))?;
            let text = fs_err::read_to_string(root.join(path)).map_err(|e| {
                ConfigError::invalid(
                    file,
                    key.as_str(),
                    span.clone(),
                    format!("cannot read `{path}`: {}", io_reason(&e)),
                )
            })?;
            let version = text.trim();
            if version.is_empty() || version.contains('\n') {
                return Err(ConfigError::invalid(
                    file,
                    key.as_str(),
                    span.clone(),
                    format!("`{path}` must hold just the version on one line"),
                ));
            }
            Ok(version.to_string())
        }
        VersionSource::Attr { attr, span, key } => {
            let key = key.as_str();
            let (module, name) = attr.rsplit_once('.').expect("validated as module.attribute");
            let base = python.root(root).join(module.replace('.', "/"));
            let candidates = [base.join("__init__.py"), base.with_extension("py")];
            let Some(path) = candidates.iter().find(|p| p.is_file()) else {
                let shown: Vec<String> = candidates
                    .iter()
                    .filter_map(|p| super::files::relative(root, p))
                    .map(|p| format!("`{p}`"))
                    .collect();
                return Err(ConfigError::invalid(
                    file,
                    key,
                    span.clone(),
                    format!("no module `{module}`: looked for {}", shown.join(" and ")),
                ));
            };
            let text = fs_err::read_to_string(path).map_err(|e| {
                ConfigError::invalid(
                    file,
                    key,
                    span.clone(),
                    format!("cannot read `{}`: {}", path.display(), io_reason(&e)),
                )
            })?;
            let shown = super::files::relative(root, path).unwrap_or_else(|| path.display().to_string());
            find_string_assignment(&text, name).ok_or_else(|| {
                ConfigError::invalid(file, key, span.clone(), format!("no `{name} = \"...\"` in `{shown}`")).with_help(
                    "cffi-forge reads the version without importing the package, so it must be a plain string literal assigned at the top level of the module",
                )
            })
        }
    }
}

/// The `Version` of `root/PKG-INFO` when the project is an unpacked sdist of the same
/// project (its `Name` matches): the version resolved when the sdist was made.
pub(super) fn from_pkg_info(root: &Path, name: &str) -> Option<String> {
    let path = root.join("PKG-INFO");
    // Never opened unless a regular file (a FIFO would block the read).
    if !path.is_file() {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let mut found_name = None;
    let mut version = None;
    // Only the header block: the description after the blank line may say anything.
    for line in text.lines().take_while(|l| !l.trim().is_empty()) {
        if let Some(v) = line.strip_prefix("Name:") {
            found_name = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("Version:") {
            version = Some(v.trim().to_string());
        }
    }
    let same = crate::metadata::normalize_name(&found_name?) == crate::metadata::normalize_name(name);
    version.filter(|v| same && !v.is_empty())
}

/// Where the version came from, for `cffi-forge inspect`.
pub(super) fn origin(
    static_version: bool,
    source: Option<&VersionSource>,
    root: &Path,
    name: &str,
) -> VersionOrigin {
    match source {
        _ if static_version => VersionOrigin::Static,
        Some(_) if from_pkg_info(root, name).is_some() => VersionOrigin::PkgInfo,
        Some(VersionSource::Attr { attr, .. }) => VersionOrigin::Attr(attr.clone()),
        Some(VersionSource::File { path, .. }) => VersionOrigin::File(path.clone()),
        None => VersionOrigin::Static,
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        _ => e.to_string(),
    }
}

/// The value of a top-level `name = "literal"` (or `name: str = 'literal'`) in Python
/// source; the last such assignment wins, as it would at import.
pub(super) fn find_string_assignment(source: &str, name: &str) -> Option<String> {
    let mut found = None;
    for line in source.lines() {
        // Top level only: indented lines belong to blocks.
        let Some(rest) = line.strip_prefix(name) else { continue };
        let rest = rest.trim_start();
        let value = match rest.strip_prefix(':') {
            Some(annotated) => annotated.split_once('=').map(|(_, v)| v),
            None => rest.strip_prefix('=').filter(|r| !r.starts_with('=')),
        };
        let Some(rest) = value else { continue };
        if let Some(value) = string_literal(rest.trim()) {
            found = Some(value);
        }
    }
    found
}

/// A single- or double-quoted Python string without escapes or prefixes, followed only
/// by an optional comment.
fn string_literal(text: &str) -> Option<String> {
    let quote = text.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &text[1..];
    let end = body.find(quote)?;
    let value = &body[..end];
    let after = body[end + 1..].trim();
    (!value.contains('\\') && (after.is_empty() || after.starts_with('#'))).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_literal_assignments() {
        let src = "\"\"\"Doc.\"\"\"\nimport os\n__version__ = \"1.2.3\"  # bumped by CI\n";
        assert_eq!(find_string_assignment(src, "__version__").as_deref(), Some("1.2.3"));
        assert_eq!(
            find_string_assignment("__version__: str = '2.0'\n", "__version__").as_deref(),
            Some("2.0")
        );
        assert_eq!(
            find_string_assignment("VERSION='0.1'\nVERSION = '0.2'\n", "VERSION").as_deref(),
            Some("0.2")
        );
    }

    #[test]
    fn pkg_info_version_of_the_same_project_only() {
        let dir = tempfile::tempdir().unwrap();
        let pkg_info = "Metadata-Version: 2.4\nName: My.Pkg\nVersion: 1.2.3\n\nVersion: 9\n";
        std::fs::write(dir.path().join("PKG-INFO"), pkg_info).unwrap();
        assert_eq!(from_pkg_info(dir.path(), "my-pkg").as_deref(), Some("1.2.3"));
        assert_eq!(from_pkg_info(dir.path(), "other"), None);
        assert_eq!(from_pkg_info(&dir.path().join("nope"), "my-pkg"), None);
    }

    #[test]
    fn ignores_non_literals_and_other_names() {
        assert_eq!(find_string_assignment("__version__ = get_version()\n", "__version__"), None);
        assert_eq!(find_string_assignment("if x:\n    __version__ = '1'\n", "__version__"), None);
        assert_eq!(find_string_assignment("__version_info__ = '1'\n", "__version__"), None);
        assert_eq!(find_string_assignment("__version__ == '1'\n", "__version__"), None);
        assert_eq!(find_string_assignment("__version__ = f'{x}'\n", "__version__"), None);
        assert_eq!(
            find_string_assignment("__version__x = '0'\n__version__ = '3'\n", "__version__").as_deref(),
            Some("3")
        );
    }
}
