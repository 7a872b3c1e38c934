//! The setuptools keys of `setup.cfg` (`[metadata]`, `[options]`, `[options.*]`), read
//! statically with the build's own reader ([`crate::config::setup_cfg`]) and turned into
//! the `setup()` keywords they stand for, so the translator sees setup.py and setup.cfg
//! alike.

use crate::config::setup_cfg::{SetupCfg, SetupCfgError};
use crate::setup_py::{SetupArg, Unknown, Value};

/// `[options.*]` sections that become one dict-valued keyword: (keyword, line, entries).
type Sections = Vec<(String, usize, Vec<(Value, Value)>)>;

/// One `key = value` (with its continuation lines) of a section.
struct Entry {
    section: String,
    key: String,
    value: String,
    line: usize,
}

fn entries(text: &str) -> Result<Vec<Entry>, SetupCfgError> {
    let cfg = SetupCfg::parse("setup.cfg", text)?;
    Ok(cfg
        .sections
        .iter()
        .flat_map(|section| {
            section.entries.iter().map(|e| Entry {
                section: section.name.clone(),
                key: e.key.clone(),
                value: e.text(),
                line: e.line,
            })
        })
        .collect())
}

/// Newline-separated, or comma-separated when on one line (setuptools' "list-comma").
fn list_comma(value: &str) -> Vec<String> {
    let parts: Vec<&str> =
        if value.contains('\n') { value.lines().collect() } else { value.split(',').collect() };
    parts.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// Newline- or semicolon-separated requirement lists (commas belong to specifiers).
fn list_lines(value: &str) -> Vec<String> {
    value.lines().map(|s| s.trim().to_string()).filter(|s| !s.is_empty() && !s.starts_with('#')).collect()
}

fn strs(items: Vec<String>) -> Value {
    Value::List(items.into_iter().map(Value::Str).collect())
}

/// `key = value` lines of a section-valued option (`[options.extras_require]`), or of a
/// dangling dict value (`project_urls =` followed by `Name = url` lines).
fn dict_lines(value: &str) -> Vec<(String, String)> {
    value
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

fn boolean(value: &str) -> Value {
    Value::Bool(matches!(value.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
}

/// `attr: pkg.__version__` / `file: README.md` directives.
fn directive(value: &str, line: usize) -> Option<Result<Value, Unknown>> {
    if let Some(attr) = value.strip_prefix("attr:") {
        return Some(Ok(Value::Call {
            func: "attr:".into(),
            args: vec![Ok(Value::Str(attr.trim().to_string()))],
            kwargs: Vec::new(),
        }));
    }
    let files = value.strip_prefix("file:")?;
    let files = list_comma(files);
    Some(match files.as_slice() {
        [one] => Ok(Value::FileText(one.clone())),
        _ => {
            Err(Unknown { line, text: value.to_string(), why: Some("several files are concatenated".into()) })
        }
    })
}

/// The `setup()` keywords `setup.cfg` gives, in file order.
pub fn parse(text: &str) -> Result<Vec<SetupArg>, SetupCfgError> {
    let mut args = Vec::new();
    let mut find = Vec::new(); // [options.packages.find]
    let mut packages_line = None;
    let mut sections: Sections = Vec::new();
    for e in entries(text)? {
        let arg = |key: &str, value: Result<Value, Unknown>| SetupArg {
            key: key.to_string(),
            line: e.line,
            value,
            attr: None,
        };
        let section_dict = |sections: &mut Sections, key: &str, value: Value| match sections
            .iter_mut()
            .find(|(k, ..)| k == key)
        {
            Some((_, _, entries)) => entries.push((Value::Str(e.key.clone()), value)),
            None => sections.push((key.to_string(), e.line, vec![(Value::Str(e.key.clone()), value)])),
        };
        match (e.section.as_str(), e.key.as_str()) {
            ("metadata", key) => {
                let key = match key {
                    "home_page" => "url",
                    "license_file" => "license_files",
                    "description_file" => "long_description",
                    other => other,
                };
                let value = match key {
                    "classifiers" | "keywords" | "platforms" | "license_files" | "provides" | "obsoletes" => {
                        directive(&e.value, e.line).unwrap_or_else(|| Ok(strs(list_comma(&e.value))))
                    }
                    "project_urls" => Ok(Value::Dict(
                        dict_lines(&e.value)
                            .into_iter()
                            .map(|(k, v)| (Value::Str(k), Value::Str(v)))
                            .collect(),
                    )),
                    _ => directive(&e.value, e.line).unwrap_or_else(|| Ok(Value::Str(e.value.clone()))),
                };
                args.push(arg(key, value));
            }
            ("options", key) => {
                let value = match key {
                    "install_requires" | "setup_requires" | "tests_require" => Ok(strs(list_lines(&e.value))),
                    "packages" if e.value.trim() == "find:" || e.value.trim() == "find_namespace:" => {
                        packages_line = Some((args.len(), e.value.trim() == "find_namespace:"));
                        Ok(Value::Call { func: "find_packages".into(), args: Vec::new(), kwargs: Vec::new() })
                    }
                    "packages" | "py_modules" | "scripts" => Ok(strs(list_comma(&e.value))),
                    "package_dir" => {
                        let mut dict = Vec::new();
                        for part in list_comma(&e.value) {
                            let (k, v) = part.split_once('=').unwrap_or(("", &part));
                            dict.push((Value::Str(k.trim().into()), Value::Str(v.trim().into())));
                        }
                        Ok(Value::Dict(dict))
                    }
                    "include_package_data" | "zip_safe" => Ok(boolean(&e.value)),
                    _ => Ok(Value::Str(e.value.clone())),
                };
                args.push(arg(key, value));
            }
            ("options.packages.find", key) => find.push((key.to_string(), Ok(strs(list_comma(&e.value))))),
            ("options.extras_require", _) => {
                section_dict(&mut sections, "extras_require", strs(list_lines(&e.value)))
            }
            ("options.entry_points", _) => section_dict(
                &mut sections,
                "entry_points",
                strs(dict_lines(&e.value).into_iter().map(|(k, v)| format!("{k} = {v}")).collect()),
            ),
            ("options.package_data", _) => {
                section_dict(&mut sections, "package_data", strs(list_comma(&e.value)))
            }
            ("options.exclude_package_data", _) => {
                section_dict(&mut sections, "exclude_package_data", strs(list_comma(&e.value)))
            }
            ("options.data_files", _) => {
                section_dict(&mut sections, "data_files", strs(list_comma(&e.value)))
            }
            _ => {}
        }
    }
    if let Some((index, namespace)) = packages_line {
        // `find:` with its `[options.packages.find]` options, as the call it stands for.
        let func = if namespace { "find_namespace_packages" } else { "find_packages" };
        let where_ = find.iter().position(|(k, _)| k == "where");
        let mut kwargs = find;
        if let Some(w) = where_ {
            // `where` is one directory.
            if let Ok(Value::List(items)) = &kwargs[w].1 {
                if let [one] = items.as_slice() {
                    kwargs[w].1 = Ok(one.clone());
                }
            }
        }
        args[index].value = Ok(Value::Call { func: func.into(), args: Vec::new(), kwargs });
    }
    for (key, line, entries) in sections {
        args.push(SetupArg { key, line, value: Ok(Value::Dict(entries)), attr: None });
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_metadata_and_options() {
        let text = "[metadata]\nname = demo\nversion = attr: demo.__version__\n\
                    long_description = file: README.md\nclassifiers =\n    A :: B\n    C :: D\n\
                    keywords = a, b\n\n[options]\npackages = find:\ninstall_requires =\n    cffi>=1.0,<3\n    \
                    six\n\n[options.packages.find]\nwhere = src\n\n[options.extras_require]\ntest = pytest\n\
                    [options.entry_points]\nconsole_scripts =\n    demo = demo.cli:main\n[bdist_wheel]\nuniversal = 1\n";
        let args = parse(text).unwrap();
        let keys: Vec<_> = args.iter().map(|a| (a.key.as_str(), a.line)).collect();
        assert_eq!(
            keys,
            [
                ("name", 2),
                ("version", 3),
                ("long_description", 4),
                ("classifiers", 5),
                ("keywords", 8),
                ("packages", 11),
                ("install_requires", 12),
                ("extras_require", 20),
                ("entry_points", 22),
            ]
        );
        let value = |k: &str| args.iter().find(|a| a.key == k).unwrap().value.clone().unwrap();
        assert_eq!(value("classifiers").as_str_list().unwrap(), ["A :: B", "C :: D"]);
        assert_eq!(value("keywords").as_str_list().unwrap(), ["a", "b"]);
        assert_eq!(value("install_requires").as_str_list().unwrap(), ["cffi>=1.0,<3", "six"]);
        assert_eq!(value("long_description"), Value::FileText("README.md".into()));
        let Value::Call { func, kwargs, .. } = value("packages") else { panic!() };
        assert_eq!(
            (func.as_str(), &kwargs[0].0, &kwargs[0].1),
            ("find_packages", &"where".to_string(), &Ok(Value::Str("src".into())))
        );
        assert_eq!(
            value("entry_points"),
            Value::Dict(vec![(
                Value::Str("console_scripts".into()),
                strs(vec!["demo = demo.cli:main".into()])
            )])
        );
    }
}
