//! cffi-forge inside another build backend (the hatchling and pdm-backend hooks of
//! `backend/cffi_forge/`): `cffi-forge plugin-build` builds the project's modules into a
//! staging directory and reports, as JSON, the files with their in-wheel paths and the
//! wheel's tag; the host backend writes the wheel with its own metadata.
//!
//! The host owns `[project]` (hatch-vcs versions, dynamic fields cffi-forge cannot read),
//! so it is blanked out here, byte for byte, and replaced by a minimal table at the end:
//! every other span (and so every error's line and column) stays where the user wrote it.

use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::archive::{BuiltFile, Source};
use crate::audit::Compatibility;
use crate::config::{ConfigError, Project};
use crate::diagnostic::{Diagnostic, ToDiagnostic};
use crate::pipeline::{self, PipelineError};

/// A failure of `cffi-forge plugin-build` before or after the build proper.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// Boxed: pipeline errors are large.
    #[error(transparent)]
    Pipeline(Box<PipelineError>),
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the hook's options are not a JSON object of cffi-forge build keys: {0}")]
    Options(String),
    #[error("cannot stage the built files in {}: {source}", dir.display())]
    Stage { dir: PathBuf, source: std::io::Error },
}

impl From<PipelineError> for PluginError {
    fn from(e: PipelineError) -> Self {
        PluginError::Pipeline(Box::new(e))
    }
}

impl ToDiagnostic for PluginError {
    fn to_diagnostic(&self) -> Diagnostic {
        match self {
            PluginError::Pipeline(e) => e.as_ref().to_diagnostic(),
            PluginError::Options(_) => Diagnostic::error(self.to_string()).with_help(
                "the hook table takes the keys of [tool.cffi-forge] (e.g. `generator = \"cffi\"`)",
            ),
            _ => Diagnostic::error(self.to_string()),
        }
    }
}

/// Load `root`'s project for a plugin build: `[project]` reduced to name, a placeholder
/// version and `requires-python` (which decides the abi3 floor); `options` (the hook
/// table, a JSON object) merged over `[tool.cffi-forge]`.
pub fn load_project(root: &Path, options: Option<&str>) -> Result<Project, PluginError> {
    let path = root.join("pyproject.toml");
    let text =
        fs::read_to_string(&path).map_err(|source| PluginError::Read { path: path.clone(), source })?;
    let mut text = host_project_removed(&text);
    if let Some(options) = options {
        text = with_options(&text, options)?;
    }
    let project = Project::from_text(root, text).map_err(|e: ConfigError| PipelineError::from(e))?;
    Ok(project)
}

/// `text` with every `[project]` / `[project.*]` table blanked (spaces, newlines kept) and
/// a minimal `[project]` appended. Text that does not parse is returned as it is: loading
/// it reports the syntax error at its place.
fn host_project_removed(text: &str) -> String {
    let Ok(doc) = toml::from_str::<toml::Table>(text) else {
        return text.to_string();
    };
    let project = doc.get("project").and_then(|p| p.as_table());
    let name = project.and_then(|p| p.get("name")).and_then(|n| n.as_str()).unwrap_or("unnamed");
    let requires_python = project.and_then(|p| p.get("requires-python")).and_then(|r| r.as_str());
    let mut out = String::with_capacity(text.len() + 100);
    for (header, segment) in table_segments(text) {
        if header == "project" || header.starts_with("project.") {
            out.extend(segment.chars().map(|c| if c == '\n' || c == '\r' { c } else { ' ' }));
        } else {
            out.push_str(segment);
        }
    }
    let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
    out.push_str(
        "\n\n# [project] belongs to the host build backend: a stand-in for cffi-forge.\n[project]\n",
    );
    out.push_str(&format!("name = {}\nversion = \"0\"\n", quoted(name)));
    if let Some(requires) = requires_python {
        out.push_str(&format!("requires-python = {}\n", quoted(requires)));
    }
    out
}

/// `text` cut at its table headers: (dotted header name, text up to the next header);
/// the first segment (before any header) has the name "". A line that looks like a
/// header but sits inside a multi-line string or array is not one: the segment before a
/// real header parses on its own.
fn table_segments(text: &str) -> Vec<(String, &str)> {
    let mut starts = vec![(String::new(), 0usize)];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            let (_, last_start) = starts.last().expect("never empty");
            if toml::from_str::<toml::Table>(&text[*last_start..offset]).is_ok() {
                starts.push((header_name(trimmed), offset));
            }
        }
        offset += line.len();
    }
    let mut segments = Vec::with_capacity(starts.len());
    for (i, (name, start)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |(_, s)| *s);
        segments.push((name.clone(), &text[*start..end]));
    }
    segments
}

/// `project.urls` for `[ project . "urls" ]  # comment`.
fn header_name(line: &str) -> String {
    let inner = line.trim_start_matches('[');
    let inner = inner.split(']').next().unwrap_or("");
    inner.chars().filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'').collect()
}

/// `text` with the keys of the JSON object `options` set in `[tool.cffi-forge]`.
fn with_options(text: &str, options: &str) -> Result<String, PluginError> {
    let options: toml::Table =
        serde_json::from_str(options).map_err(|e| PluginError::Options(e.to_string()))?;
    if options.is_empty() {
        return Ok(text.to_string());
    }
    let Ok(mut doc) = text.parse::<toml_edit::DocumentMut>() else {
        return Ok(text.to_string());
    };
    let rendered = toml::to_string(&options).map_err(|e| PluginError::Options(e.to_string()))?;
    let parsed: toml_edit::DocumentMut =
        rendered.parse().map_err(|e: toml_edit::TomlError| PluginError::Options(e.to_string()))?;
    let tool = doc.entry("tool").or_insert_with(|| {
        let mut t = toml_edit::Table::new();
        t.set_implicit(true);
        toml_edit::Item::Table(t)
    });
    let Some(tool) = tool.as_table_like_mut() else {
        return Err(PluginError::Options("pyproject.toml's `tool` is not a table".into()));
    };
    let own = tool.entry("cffi-forge").or_insert(toml_edit::Item::Table(toml_edit::Table::new()));
    let Some(own) = own.as_table_like_mut() else {
        return Err(PluginError::Options("pyproject.toml's `tool.cffi-forge` is not a table".into()));
    };
    for (key, item) in parsed.iter() {
        own.insert(key, item.clone());
    }
    Ok(doc.to_string())
}

/// Build for `python`, write the files under `stage_dir` at their in-wheel paths and
/// return the JSON report the hooks read.
pub fn build(
    project: Project,
    python: &Path,
    compatibility: Option<&Compatibility>,
    stage_dir: &Path,
) -> Result<serde_json::Value, PluginError> {
    let built = pipeline::build_for_plugin(project, python, compatibility)?;
    let mut files = Vec::new();
    for file in &built.files {
        let staged = stage(file, stage_dir)
            .map_err(|source| PluginError::Stage { dir: stage_dir.to_path_buf(), source })?;
        files.push(serde_json::json!({ "path": file.archive_path, "file": staged }));
    }
    let pure = built.tag == crate::tags::WheelTag::pure();
    Ok(serde_json::json!({
        "tag": built.tag.to_string(),
        "pure": pure,
        "source_root": built.source_root,
        "files": files,
    }))
}

fn stage(file: &BuiltFile, stage_dir: &Path) -> std::io::Result<PathBuf> {
    let dest = stage_dir.join(&file.archive_path);
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)?;
    }
    match &file.source {
        Source::File(path) => {
            fs::copy(path, &dest)?;
        }
        Source::Bytes(data) => fs::write(&dest, data)?,
    }
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HATCH: &str = "[build-system]\nrequires = [\"hatchling\"]\n\n[project]\nname = \"demo\"\ndynamic = [\"version\"]\ndescription = \"\"\"\n[not a header]\n\"\"\"\nrequires-python = \">=3.9\"\n\n[project.urls]\nhome = \"x\"\n\n[tool.cffi-forge]\ngenerator = \"native\"\n";

    #[test]
    fn project_tables_are_blanked_in_place() {
        let out = host_project_removed(HATCH);
        // Everything outside [project] keeps its byte offset.
        let at = HATCH.find("[tool.cffi-forge]").unwrap();
        assert_eq!(&out[at..at + 17], "[tool.cffi-forge]");
        assert_eq!(out[..at].lines().count(), HATCH[..at].lines().count());
        assert!(!out[..at].contains("dynamic") && !out[..at].contains("not a header"));
        let doc: toml::Table = toml::from_str(&out).unwrap();
        let project = doc["project"].as_table().unwrap();
        assert_eq!(project["name"].as_str(), Some("demo"));
        assert_eq!(project["version"].as_str(), Some("0"));
        assert_eq!(project["requires-python"].as_str(), Some(">=3.9"));
        assert!(project.get("urls").is_none());
    }

    #[test]
    fn options_override_the_tool_table() {
        let out = with_options(HATCH, r#"{"generator": "cffi", "define-macros": [["A", "1"]]}"#).unwrap();
        let doc: toml::Table = toml::from_str(&out).unwrap();
        let own = doc["tool"]["cffi-forge"].as_table().unwrap();
        assert_eq!(own["generator"].as_str(), Some("cffi"));
        assert_eq!(own["define-macros"][0][1].as_str(), Some("1"));
        assert!(matches!(with_options(HATCH, "[1]"), Err(PluginError::Options(_))));
    }
}
