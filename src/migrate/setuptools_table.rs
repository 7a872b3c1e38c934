//! `[tool.setuptools]` of an existing `pyproject.toml`, as the `setup()` keywords it
//! stands for, so the translator treats it like setup.py and setup.cfg.

use toml_edit::{DocumentMut, Item};

use crate::setup_py::{SetupArg, Value};

/// TOML → the evaluator's values (strings, booleans, numbers, arrays, tables).
fn value(item: &Item) -> Option<Value> {
    if let Some(tables) = item.as_array_of_tables() {
        return Some(Value::List(tables.iter().filter_map(|t| value(&Item::Table(t.clone()))).collect()));
    }
    if let Some(t) = item.as_table_like() {
        return Some(Value::Dict(
            t.iter().filter_map(|(k, v)| Some((Value::Str(k.to_string()), value(v)?))).collect(),
        ));
    }
    let v = item.as_value()?;
    Some(match v {
        toml_edit::Value::String(s) => Value::Str(s.value().clone()),
        toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
        toml_edit::Value::Integer(i) => Value::Num(i.value().to_string()),
        toml_edit::Value::Float(f) => Value::Num(f.value().to_string()),
        toml_edit::Value::Array(a) => {
            Value::List(a.iter().filter_map(|v| value(&Item::Value(v.clone()))).collect())
        }
        toml_edit::Value::InlineTable(t) => Value::Dict(
            t.iter()
                .filter_map(|(k, v)| Some((Value::Str(k.to_string()), value(&Item::Value(v.clone()))?)))
                .collect(),
        ),
        toml_edit::Value::Datetime(_) => return None,
    })
}

/// The line of `key =` in the `[header]` table of `text` (1-based), or of the header.
fn line_of(text: &str, header: &str, key: &str) -> usize {
    let mut in_table = false;
    let mut header_line = 1;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            let name = trimmed.trim_start_matches('[').trim_end_matches(']').trim();
            // `[tool.setuptools.package-data]`: the key is a table of its own.
            if name.strip_prefix(header).and_then(|r| r.strip_prefix('.')) == Some(key) {
                return n + 1;
            }
            in_table = name == header;
            if in_table {
                header_line = n + 1;
            }
        } else if in_table {
            let name = trimmed.split('=').next().unwrap_or("").trim().trim_matches('"');
            if name == key || name.starts_with(&format!("{key}.")) {
                return n + 1;
            }
        }
    }
    header_line
}

/// The keywords `[tool.setuptools]` gives (its `dynamic` table is handled with
/// `[project] dynamic`).
pub fn parse(doc: &DocumentMut, text: &str) -> Vec<SetupArg> {
    let Some(table) = doc.get("tool").and_then(|t| t.get("setuptools")).and_then(Item::as_table_like) else {
        return Vec::new();
    };
    let mut args = Vec::new();
    for (key, item) in table.iter() {
        let keyword = match key {
            "dynamic" => continue,
            "packages" if item.get("find").is_some() => {
                let find = item.get("find").expect("checked");
                let line = line_of(text, "tool.setuptools.packages.find", "where");
                let mut kwargs = Vec::new();
                if let Some(Value::List(dirs)) = find.get("where").and_then(value) {
                    if let [Value::Str(dir)] = dirs.as_slice() {
                        kwargs.push(("where".to_string(), Ok(Value::Str(dir.clone()))));
                    }
                }
                for k in ["include", "exclude"] {
                    if let Some(v) = find.get(k).and_then(value) {
                        kwargs.push((k.to_string(), Ok(v)));
                    }
                }
                // pyproject.toml's `find` looks for namespace packages unless told not to.
                let namespaces = find.get("namespaces").and_then(Item::as_bool).unwrap_or(true);
                let func = if namespaces { "find_namespace_packages" } else { "find_packages" };
                args.push(SetupArg {
                    key: "packages".into(),
                    line,
                    value: Ok(Value::Call { func: func.into(), args: Vec::new(), kwargs }),
                    attr: None,
                });
                continue;
            }
            "package-dir" => "package_dir",
            "py-modules" => "py_modules",
            "package-data" => "package_data",
            "exclude-package-data" => "exclude_package_data",
            "include-package-data" => "include_package_data",
            "script-files" => "scripts",
            "ext-modules" => {
                // `[[tool.setuptools.ext-modules]]` tables: `Extension(...)` keywords, dashed.
                let Some(Value::List(tables)) = value(item) else { continue };
                let extensions = tables
                    .into_iter()
                    .filter_map(|t| match t {
                        Value::Dict(entries) => Some(Value::Call {
                            func: "Extension".into(),
                            args: Vec::new(),
                            kwargs: entries
                                .into_iter()
                                .filter_map(|(k, v)| Some((k.as_str()?.replace('-', "_"), Ok(v))))
                                .collect(),
                        }),
                        _ => None,
                    })
                    .collect();
                let line = line_of(text, "tool.setuptools.ext-modules", "name");
                args.push(SetupArg {
                    key: "ext_modules".into(),
                    line,
                    value: Ok(Value::List(extensions)),
                    attr: None,
                });
                continue;
            }
            "zip-safe" | "license-files" | "provides" | "obsoletes" => continue,
            other => other,
        };
        let line = line_of(text, "tool.setuptools", key);
        let Some(v) = value(item) else { continue };
        args.push(SetupArg { key: keyword.to_string(), line, value: Ok(v), attr: None });
    }
    args
}
