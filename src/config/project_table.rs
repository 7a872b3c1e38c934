//! `[project]` (PEP 621, PEP 639) → [`Metadata`], with errors pointing at the key.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::files::Globs;
use super::layout::PythonLayout;
use super::raw::{RawPerson, RawProject};
use super::{version_source, ConfigError, ToolConfig};
use crate::diagnostic::SourceFile;
use crate::metadata::{self, Dependency, License, Metadata, Person, Readme, Version, VersionSpecifiers};

pub(super) struct Context<'a> {
    pub root: &'a Path,
    pub file: &'a SourceFile,
    pub tool: &'a ToolConfig,
    pub python: &'a PythonLayout,
    pub files: &'a [String],
}

/// The fields `dynamic` may name (PEP 621), and whether we can compute them.
const FIELDS: &[&str] = &[
    "version",
    "description",
    "readme",
    "requires-python",
    "license",
    "license-files",
    "authors",
    "maintainers",
    "keywords",
    "classifiers",
    "urls",
    "scripts",
    "gui-scripts",
    "entry-points",
    "dependencies",
    "optional-dependencies",
    "import-names",
    "import-namespaces",
];

/// Licence files picked up when `license-files` is absent (what setuptools does).
const DEFAULT_LICENSE_FILES: &[&str] = &["LICEN[CS]E*", "COPYING*", "NOTICE*", "AUTHORS*"];

pub(super) fn validate(project: Spanned<RawProject>, cx: &Context) -> Result<Metadata, ConfigError> {
    let table_span = project.span();
    let p = project.into_inner();
    let file = cx.file;
    let invalid = |key: &str, span: Range<usize>, message: String| {
        ConfigError::invalid(file, format!("project.{key}"), span, message)
    };

    // name
    let Some(name) = &p.name else {
        return Err(invalid("name", table_span, "[project] has no `name`".into()));
    };
    if !metadata::is_valid_name(name.get_ref()) {
        return Err(invalid(
            "name",
            name.span(),
            format!("`{}` is not a valid project name", name.get_ref()),
        )
        .with_help(
            "use ASCII letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit",
        ));
    }

    // dynamic
    let mut dynamic_version = false;
    for field in p.dynamic.iter().flat_map(|d| d.get_ref()) {
        let f = field.get_ref().as_str();
        if f == "name" {
            return Err(invalid("dynamic", field.span(), "`name` cannot be dynamic".into()));
        }
        if !FIELDS.contains(&f) {
            return Err(invalid("dynamic", field.span(), format!("`{f}` is not a [project] field")));
        }
        if f != "version" {
            return Err(invalid(
                "dynamic",
                field.span(),
                format!("cffi-forge cannot compute `{f}` dynamically"),
            )
            .with_help(format!("write `{f}` in [project] directly")));
        }
        if p.version.is_some() {
            return Err(invalid(
                "dynamic",
                field.span(),
                "`version` is both given in [project] and listed in `dynamic`".into(),
            ));
        }
        dynamic_version = true;
    }

    // version
    let (version_text, version_span, version_key) = match (&p.version, dynamic_version, &cx.tool.version) {
        (Some(v), _, _) => (v.get_ref().clone(), v.span(), "project.version"),
        (None, true, Some(source)) => {
            // An unpacked sdist carries the version resolved when it was made.
            let text = match version_source::from_pkg_info(cx.root, name.get_ref()) {
                Some(recorded) => recorded,
                None => version_source::read(source, cx.root, cx.python, file)?,
            };
            let (span, key) = match source {
                super::VersionSource::Attr { span, key, .. }
                | super::VersionSource::File { span, key, .. } => (span.clone(), key.as_str()),
            };
            (text, span, key)
        }
        (None, true, None) => {
            let span = p.dynamic.as_ref().map_or(table_span.clone(), |d| d.span());
            return Err(invalid("dynamic", span, "`version` is dynamic but nothing says where it comes from".into())
                .with_help("add `version = { attr = \"pkg.__version__\" }` or `version = { file = \"VERSION\" }` to [tool.cffi-forge]"));
        }
        (None, false, _) => {
            return Err(invalid("version", table_span, "[project] has no `version`".into())
                .with_help("add `version = \"0.1.0\"`, or list it in `dynamic` and say where it comes from in [tool.cffi-forge]"));
        }
    };
    let version: Version = version_text.parse().map_err(|e: pep440_rs::VersionParseError| {
        ConfigError::invalid(
            file,
            version_key,
            version_span.clone(),
            format!("`{version_text}` is not a valid version: {e}"),
        )
        .with_help("versions follow PEP 440, e.g. `1.0`, `2.1.0rc1`, `0.3.post1`")
    })?;

    // description
    let summary = match &p.description {
        Some(d) if d.get_ref().contains('\n') => {
            return Err(invalid(
                "description",
                d.span(),
                "must be a single line (the long text goes in `readme`)".into(),
            ))
        }
        Some(d) => Some(d.get_ref().trim().to_string()),
        None => None,
    };

    let readme = p.readme.as_ref().map(|r| readme(r, cx)).transpose()?;

    let requires_python = match &p.requires_python {
        Some(rp) => Some(rp.get_ref().parse::<VersionSpecifiers>().map_err(|e| {
            invalid(
                "requires-python",
                rp.span(),
                format!(
                    "not a valid version specifier: {}",
                    e.to_string().lines().next().unwrap_or_default()
                ),
            )
            .with_help("e.g. `>=3.8`")
        })?),
        None => None,
    };

    // license, license-files, classifiers
    let classifiers = strings(&p.classifiers);
    let license = p.license.as_ref().map(|l| license(l, cx)).transpose()?;
    if let (Some(License::Expression(_)), Some(classifiers)) = (&license, &p.classifiers) {
        if let Some(c) = classifiers.get_ref().iter().find(|c| c.get_ref().starts_with("License ::")) {
            return Err(invalid(
                "classifiers",
                c.span(),
                "`License ::` classifiers cannot be combined with a licence expression (PEP 639)".into(),
            )
            .with_help("remove the classifier: `license` already says it"));
        }
    }
    let license_files = license_files(&p, &license, cx)?;

    let authors = people("authors", &p.authors, cx)?;
    let maintainers = people("maintainers", &p.maintainers, cx)?;
    let keywords = strings(&p.keywords);

    let mut urls = Vec::new();
    for (label, url) in p.urls.iter().flat_map(|u| u.get_ref()) {
        if label.get_ref().chars().count() > 32 {
            return Err(invalid("urls", label.span(), "labels are limited to 32 characters".into()));
        }
        urls.push((label.get_ref().clone(), url.get_ref().clone()));
    }

    // dependencies
    let mut dependencies = Vec::new();
    for dep in p.dependencies.iter().flat_map(|d| d.get_ref()) {
        dependencies.push(dependency("dependencies", dep, cx)?);
    }
    let mut optional_dependencies: Vec<(String, Vec<Dependency>)> = Vec::new();
    for (extra, deps) in p.optional_dependencies.iter().flat_map(|o| o.get_ref()) {
        let normalized = metadata::normalize_name(extra.get_ref());
        let valid = metadata::is_valid_name(extra.get_ref());
        if !valid {
            return Err(invalid(
                "optional-dependencies",
                extra.span(),
                format!("`{}` is not a valid extra name", extra.get_ref()),
            ));
        }
        if optional_dependencies.iter().any(|(e, _)| *e == normalized) {
            return Err(invalid(
                "optional-dependencies",
                extra.span(),
                format!(
                    "extra `{}` is given twice (names are compared normalised, as `{normalized}`)",
                    extra.get_ref()
                ),
            ));
        }
        let key = format!("optional-dependencies.{}", extra.get_ref());
        let deps = deps.iter().map(|d| dependency(&key, d, cx)).collect::<Result<Vec<_>, _>>()?;
        optional_dependencies.push((normalized, deps));
    }
    let names_cffi = dependencies.iter().any(|d| d.name.as_ref() == "cffi");
    if cx.tool.add_cffi_dependency && !names_cffi {
        dependencies.push(Dependency::parse(&metadata::cffi_requirement()).expect("a valid requirement"));
    }

    // entry points
    let scripts = entry_table("scripts", p.scripts.as_ref().map(|s| s.get_ref()), cx)?;
    let gui_scripts = entry_table("gui-scripts", p.gui_scripts.as_ref().map(|s| s.get_ref()), cx)?;
    let mut entry_points = Vec::new();
    for (group, entries) in p.entry_points.iter().flat_map(|e| e.get_ref()) {
        let g = group.get_ref();
        if g == "console_scripts" || g == "gui_scripts" {
            let table = if g == "console_scripts" { "scripts" } else { "gui-scripts" };
            return Err(invalid(
                "entry-points",
                group.span(),
                format!("`{g}` cannot be an entry-point group here"),
            )
            .with_help(format!("use [project.{table}]")));
        }
        let valid_group = !g.is_empty()
            && g.split('.').all(|part| {
                !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            });
        if !valid_group {
            return Err(invalid(
                "entry-points",
                group.span(),
                format!("`{g}` is not a valid entry-point group name"),
            ));
        }
        entry_points.push((g.clone(), entry_table(&format!("entry-points.{g}"), Some(entries), cx)?));
    }

    // import names (PEP 794)
    let import_names = match &p.import_names {
        Some(list) => Some(import_name_list("import-names", list, &[], cx)?),
        None => None,
    };
    let import_namespaces = match &p.import_namespaces {
        Some(list) => {
            import_name_list("import-namespaces", list, import_names.as_deref().unwrap_or(&[]), cx)?
        }
        None => Vec::new(),
    };

    Ok(Metadata {
        name: name.get_ref().clone(),
        version,
        summary,
        readme,
        requires_python,
        license,
        license_files,
        authors,
        maintainers,
        keywords,
        classifiers,
        urls,
        dependencies,
        optional_dependencies,
        scripts,
        gui_scripts,
        entry_points,
        import_names,
        import_namespaces,
    })
}

/// `import-names` or `import-namespaces` (PEP 794): dotted Python names, each optionally
/// followed by `; private`, none given twice or in both lists (`taken`: the names already
/// listed in `import-names`). Returned in the form written to the metadata, `name` or
/// `name; private`.
fn import_name_list(
    key: &str,
    list: &super::raw::StringList,
    taken: &[String],
    cx: &Context,
) -> Result<Vec<String>, ConfigError> {
    let bare = |entry: &str| entry.split(';').next().unwrap_or_default().trim().to_string();
    let mut out: Vec<String> = Vec::new();
    for entry in list.get_ref() {
        let text = entry.get_ref();
        let (name, private) = match text.split_once(';') {
            Some((name, rest)) => (name.trim(), Some(rest.trim())),
            None => (text.trim(), None),
        };
        let invalid =
            |message: String| ConfigError::invalid(cx.file, format!("project.{key}"), entry.span(), message);
        if let Some(annotation) = private.filter(|a| *a != "private") {
            return Err(invalid(format!(
                "`{text}`: only `; private` may follow an import name, not `; {annotation}`"
            )));
        }
        let valid = !name.is_empty()
            && name.split('.').all(|part| {
                let mut chars = part.chars();
                chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
                    && chars.all(|c| c.is_alphanumeric() || c == '_')
            });
        if !valid {
            return Err(invalid(format!("`{name}` is not a valid import name")).with_help(
                "dotted Python identifiers, e.g. `pkg` or `pkg._native`, optionally followed by `; private`",
            ));
        }
        if out.iter().any(|e| bare(e) == name) {
            return Err(invalid(format!("`{name}` is listed twice")));
        }
        if taken.iter().any(|e| bare(e) == name) {
            return Err(invalid(format!("`{name}` is in both `import-names` and `import-namespaces`"))
                .with_help("a name is either provided exclusively by this project (`import-names`) or shared (`import-namespaces`), not both (PEP 794)"));
        }
        out.push(if private.is_some() { format!("{name}; private") } else { name.to_string() });
    }
    Ok(out)
}

fn strings(list: &Option<super::raw::StringList>) -> Vec<String> {
    list.iter().flat_map(|l| l.get_ref()).map(|s| s.get_ref().clone()).collect()
}

fn read_project_file(cx: &Context, key: &str, path: &Spanned<String>) -> Result<String, ConfigError> {
    super::tool::check_relative_path(cx.file, key, path)?;
    super::paths::check_project_file(cx.root, cx.file, key, path)?;
    fs_err::read_to_string(cx.root.join(path.get_ref())).map_err(|e| {
        let reason = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::InvalidData => "not UTF-8 text".to_string(),
            _ => e.to_string(),
        };
        ConfigError::invalid(cx.file, key, path.span(), format!("cannot read `{}`: {reason}", path.get_ref()))
    })
}

/// Turn a `Spanned<toml::Value>` table field into a `Spanned<String>` (value spans of
/// nested values are not kept by `toml::Value`, so they point at the whole table).
fn table_string(table: &toml::Table, key: &str, span: &Range<usize>) -> Option<Result<Spanned<String>, ()>> {
    table.get(key).map(|v| match v {
        toml::Value::String(s) => Ok(Spanned::new(span.clone(), s.clone())),
        _ => Err(()),
    })
}

fn readme(value: &Spanned<toml::Value>, cx: &Context) -> Result<Readme, ConfigError> {
    let key = "project.readme";
    let span = value.span();
    let invalid = |message: &str| ConfigError::invalid(cx.file, key, span.clone(), message);
    match value.get_ref() {
        toml::Value::String(path) => {
            let content_type = content_type_for(path).ok_or_else(|| {
                invalid("cannot tell the content type from the file extension")
                    .with_help("use `.md`, `.rst` or `.txt`, or a table: `readme = { file = \"...\", content-type = \"text/markdown\" }`")
            })?;
            let text = read_project_file(cx, key, &Spanned::new(span.clone(), path.clone()))?;
            Ok(Readme { text, content_type: content_type.into(), file: Some(path.clone()) })
        }
        toml::Value::Table(table) => {
            if let Some(k) = table.keys().find(|k| !["file", "text", "content-type"].contains(&k.as_str())) {
                return Err(invalid(&format!(
                    "unknown key `{k}` (expected `file` or `text`, and `content-type`)"
                )));
            }
            let content_type = match table_string(table, "content-type", &span) {
                Some(Ok(ct)) => Some(ct.into_inner()),
                Some(Err(())) => return Err(invalid("`content-type` must be a string")),
                None => None,
            };
            if let Some(ct) = &content_type {
                let base = ct.split(';').next().unwrap_or_default().trim();
                if !["text/markdown", "text/x-rst", "text/plain"].contains(&base) {
                    return Err(invalid("`content-type` must be text/markdown, text/x-rst or text/plain"));
                }
            }
            match (table_string(table, "file", &span), table_string(table, "text", &span)) {
                (Some(Ok(path)), None) => {
                    let content_type = match content_type {
                        Some(ct) => ct,
                        None => content_type_for(path.get_ref())
                            .ok_or_else(|| {
                                invalid("cannot tell the content type of this file; add `content-type`")
                            })?
                            .to_string(),
                    };
                    let text = read_project_file(cx, key, &path)?;
                    Ok(Readme { text, content_type, file: Some(path.into_inner()) })
                }
                (None, Some(Ok(text))) => {
                    let content_type =
                        content_type.ok_or_else(|| invalid("a `text` readme needs a `content-type`"))?;
                    Ok(Readme { text: text.into_inner(), content_type, file: None })
                }
                (Some(_), Some(_)) => Err(invalid("give `file` or `text`, not both")),
                _ => Err(invalid("expected a string `file` or `text`")),
            }
        }
        _ => Err(invalid("expected a file name or a table")),
    }
}

fn content_type_for(path: &str) -> Option<&'static str> {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".md") || lower.ends_with(".markdown") {
        Some("text/markdown")
    } else if lower.ends_with(".rst") {
        Some("text/x-rst")
    } else if lower.ends_with(".txt") {
        Some("text/plain")
    } else {
        None
    }
}

fn license(value: &Spanned<toml::Value>, cx: &Context) -> Result<License, ConfigError> {
    let key = "project.license";
    let span = value.span();
    let invalid = |message: String| ConfigError::invalid(cx.file, key, span.clone(), message);
    match value.get_ref() {
        toml::Value::String(expression) => {
            match spdx::Expression::parse_mode(expression, spdx::ParseMode::STRICT) {
                Ok(_) => Ok(License::Expression(expression.clone())),
                Err(e) => {
                    let err = invalid(format!(
                        "`{expression}` is not a valid SPDX licence expression: {}",
                        e.reason
                    ));
                    // Only a suggestion that is itself valid (canonicalising fixes case and
                    // `/`, not structure: `MIT OR  OR X` would come back unchanged).
                    let suggestion = spdx::Expression::canonicalize(expression).ok().flatten().filter(|c| {
                        c != expression && spdx::Expression::parse_mode(c, spdx::ParseMode::STRICT).is_ok()
                    });
                    Err(match suggestion {
                    Some(canonical) => err.with_help(format!("did you mean `{canonical}`?")),
                    _ => err.with_help("see https://spdx.org/licenses/ for identifiers, e.g. `MIT` or `Apache-2.0 OR MIT`"),
                })
                }
            }
        }
        toml::Value::Table(table) => {
            if let Some(k) = table.keys().find(|k| !["file", "text"].contains(&k.as_str())) {
                return Err(invalid(format!("unknown key `{k}` (expected `file` or `text`)")));
            }
            match (table_string(table, "file", &span), table_string(table, "text", &span)) {
                (Some(Ok(path)), None) => {
                    let text = read_project_file(cx, key, &path)?;
                    Ok(License::Text { text, file: Some(path.into_inner()) })
                }
                (None, Some(Ok(text))) => Ok(License::Text { text: text.into_inner(), file: None }),
                (Some(_), Some(_)) => Err(invalid("give `file` or `text`, not both".into())),
                _ => Err(invalid("expected a string `file` or `text`".into())),
            }
        }
        _ => Err(invalid("expected an SPDX expression like \"MIT\" (or a legacy table)".into())),
    }
}

fn license_files(
    p: &RawProject,
    license: &Option<License>,
    cx: &Context,
) -> Result<Vec<String>, ConfigError> {
    let Some(patterns) = &p.license_files else {
        let defaults = Globs::new(DEFAULT_LICENSE_FILES.iter().copied()).expect("valid default globs");
        // Defaults match at the project root only.
        return Ok(cx.files.iter().filter(|f| !f.contains('/') && defaults.matches(f)).cloned().collect());
    };
    if let Some(License::Text { .. }) = license {
        return Err(ConfigError::invalid(
            cx.file,
            "project.license-files",
            patterns.span(),
            "`license-files` cannot be combined with a legacy `license` table (PEP 639)",
        )
        .with_help("write `license` as an SPDX expression, e.g. `license = \"MIT\"`"));
    }
    let mut out = std::collections::BTreeSet::new();
    for pattern in patterns.get_ref() {
        let pat = pattern.get_ref();
        let invalid = |m: String| ConfigError::invalid(cx.file, "project.license-files", pattern.span(), m);
        if pat.starts_with('/') || pat.contains('\\') || pat.split('/').any(|c| c == "..") {
            return Err(invalid(
                "patterns must be relative to the project, with `/` separators and no `..`".into(),
            ));
        }
        // PEP 639 patterns are relative to the root, never "any depth".
        let glob = globset::GlobBuilder::new(pat)
            .literal_separator(true)
            .build()
            .map_err(|e| invalid(format!("invalid glob: {e}")))?
            .compile_matcher();
        let matched: Vec<&String> = cx.files.iter().filter(|f| glob.is_match(f.as_str())).collect();
        if matched.is_empty() {
            return Err(invalid(format!("`{pat}` matches no file")));
        }
        out.extend(matched.into_iter().cloned());
    }
    Ok(out.into_iter().collect())
}

fn people(
    key: &str,
    list: &Option<Spanned<Vec<Spanned<RawPerson>>>>,
    cx: &Context,
) -> Result<Vec<Person>, ConfigError> {
    let mut out = Vec::new();
    for person in list.iter().flat_map(|l| l.get_ref()) {
        let invalid = |m: &str| ConfigError::invalid(cx.file, format!("project.{key}"), person.span(), m);
        let RawPerson { name, email } = person.get_ref();
        if name.is_none() && email.is_none() {
            return Err(invalid("each entry needs a `name`, an `email` or both"));
        }
        if let (Some(name), Some(_)) = (name, email) {
            if name.contains(',') {
                return Err(invalid("a name given with an email cannot contain a comma"));
            }
        }
        if let Some(email) = email {
            if !email.contains('@') || email.contains(char::is_whitespace) {
                return Err(invalid("`email` is not an email address"));
            }
        }
        out.push(Person { name: name.clone(), email: email.clone() });
    }
    Ok(out)
}

fn dependency(key: &str, dep: &Spanned<String>, cx: &Context) -> Result<Dependency, ConfigError> {
    Dependency::parse(dep.get_ref()).map_err(|message| {
        ConfigError::invalid(
            cx.file,
            format!("project.{key}"),
            dep.span(),
            format!("not a valid requirement: {message}"),
        )
        .with_help("requirements follow PEP 508, e.g. `attrs>=22.1` or `tomli; python_version < \"3.11\"`")
    })
}

fn entry_table(
    key: &str,
    table: Option<&super::raw::StringTable>,
    cx: &Context,
) -> Result<Vec<(String, String)>, ConfigError> {
    let mut out = Vec::new();
    for (name, target) in table.into_iter().flatten() {
        let n = name.get_ref();
        if n.is_empty() || n.contains('=') || n.starts_with('[') || n.trim() != n {
            return Err(ConfigError::invalid(
                cx.file,
                format!("project.{key}"),
                name.span(),
                format!("`{n}` is not a valid entry-point name"),
            ));
        }
        if !is_object_reference(target.get_ref()) {
            return Err(ConfigError::invalid(
                cx.file,
                format!("project.{key}"),
                target.span(),
                format!("`{}` is not an object reference", target.get_ref()),
            )
            .with_help("expected `module:function`, e.g. `pkg.cli:main`"));
        }
        out.push((n.clone(), target.get_ref().trim().to_string()));
    }
    Ok(out)
}

/// `pkg.mod:obj.attr` (the attribute part optional), optionally followed by `[extras]`.
fn is_object_reference(text: &str) -> bool {
    let text = text.trim();
    let text = match text.split_once('[') {
        Some((head, extras)) if extras.ends_with(']') => head.trim_end(),
        Some(_) => return false,
        None => text,
    };
    let dotted = |s: &str| {
        let s = s.trim();
        !s.is_empty()
            && s.split('.').all(|part| {
                let mut chars = part.chars();
                matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
                    && chars.all(|c| c == '_' || c.is_alphanumeric())
            })
    };
    match text.split_once(':') {
        Some((module, attr)) => dotted(module) && dotted(attr),
        None => dotted(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_references() {
        for ok in ["pkg.cli:main", "pkg:main", "pkg", "a.b:c.d", "pkg.cli:main [extra]"] {
            assert!(is_object_reference(ok), "{ok}");
        }
        for bad in ["", "pkg:", ":main", "pkg:main()", "1pkg:main", "pkg cli:main"] {
            assert!(!is_object_reference(bad), "{bad}");
        }
    }

    #[test]
    fn readme_content_types() {
        assert_eq!(content_type_for("README.md"), Some("text/markdown"));
        assert_eq!(content_type_for("README.RST"), Some("text/x-rst"));
        assert_eq!(content_type_for("README"), None);
    }
}
