//! PEP 794 `import-names` / `import-namespaces`: accepted in `[project]`, written as
//! `Import-Name` / `Import-Namespace` in metadata 2.5 (wheel and sdist alike), read back by
//! Python's email parser and validated by `packaging`; bad entries are refused at their line.

use cffi_forge::archive;
use cffi_forge::config::Project;
use cffi_forge::diagnostic::ToDiagnostic;
use cffi_forge::tags::WheelTag;
use crate::packaging_support::*;

const PYPROJECT: &str = r#"[project]
name = "azure-mgmt-search"
version = "9.1.0"
requires-python = ">=3.9"
import-names = ["azure.mgmt.search", "_azure_search_native ;private"]
import-namespaces = ["azure", "azure.mgmt"]
"#;

const READ_BACK: &str = r#"
import email.parser, json, sys, tarfile, zipfile
path = sys.argv[1]
if path.endswith(".whl"):
    z = zipfile.ZipFile(path)
    text = z.read([n for n in z.namelist() if n.endswith(".dist-info/METADATA")][0])
else:
    t = tarfile.open(path)
    text = t.extractfile([m for m in t.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")][0]).read()
msg = email.parser.Parser().parsestr(text.decode("utf-8"))
fields = {k: msg.get_all(k) for k in ("Metadata-Version", "Import-Name", "Import-Namespace")}
try:
    from packaging.metadata import Metadata
except ImportError:
    fields["packaging"] = "NO-PACKAGING"
else:
    m = Metadata.from_email(text, validate=True)
    fields["packaging"] = [m.metadata_version, m.import_names, m.import_namespaces]
print(json.dumps(fields))
"#;

fn read_back(archive: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&run_python(READ_BACK, &[archive.to_str().unwrap()])).unwrap()
}

#[test]
fn import_names_reach_wheel_and_sdist_metadata_25() {
    let tree = tree(&[
        ("pyproject.toml", PYPROJECT),
        ("azure/mgmt/search/__init__.py", ""),
        ("_azure_search_native.py", ""),
    ]);
    let project = Project::load(tree.path()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let wheel = archive::write_wheel(&project, &WheelTag::pure(), &[], out.path()).unwrap();
    let sdist = archive::write_sdist(&project, out.path()).unwrap();
    for path in [wheel, sdist] {
        let fields = read_back(&path);
        assert_eq!(fields["Metadata-Version"], serde_json::json!(["2.5"]), "{}", path.display());
        // The annotation is written in one form, whatever the spacing in pyproject.toml.
        assert_eq!(
            fields["Import-Name"],
            serde_json::json!(["azure.mgmt.search", "_azure_search_native; private"]),
            "{}",
            path.display()
        );
        assert_eq!(fields["Import-Namespace"], serde_json::json!(["azure", "azure.mgmt"]));
        if fields["packaging"] == "NO-PACKAGING" {
            not_run("packaging.metadata validation of Import-Name", "`packaging` is not installed");
        } else {
            assert_eq!(
                fields["packaging"],
                serde_json::json!([
                    "2.5",
                    ["azure.mgmt.search", "_azure_search_native; private"],
                    ["azure", "azure.mgmt"]
                ])
            );
        }
    }
}

#[test]
fn no_import_names_keeps_metadata_24_and_an_empty_list_says_none() {
    let head = "[project]\nname = \"demo\"\nversion = \"1.0\"\n";
    let out = tempfile::tempdir().unwrap();
    let plain = tree(&[("pyproject.toml", head), ("demo.py", "")]);
    let wheel =
        archive::write_wheel(&Project::load(plain.path()).unwrap(), &WheelTag::pure(), &[], out.path())
            .unwrap();
    let fields = read_back(&wheel);
    assert_eq!(fields["Metadata-Version"], serde_json::json!(["2.4"]));
    assert!(fields["Import-Name"].is_null(), "{fields}");

    let none = tree(&[("pyproject.toml", &format!("{head}import-names = []\n")), ("demo.py", "")]);
    let out = tempfile::tempdir().unwrap();
    let wheel =
        archive::write_wheel(&Project::load(none.path()).unwrap(), &WheelTag::pure(), &[], out.path())
            .unwrap();
    let fields = read_back(&wheel);
    assert_eq!(fields["Metadata-Version"], serde_json::json!(["2.5"]));
    assert_eq!(fields["Import-Name"], serde_json::json!([""]), "{fields}");
}

/// The rendered error of a bad `[project]`, which must point at `line:col`.
fn error(extra: &str, location: &str) -> String {
    let dir = tree(&[("pyproject.toml", &format!("[project]\nname = \"demo\"\nversion = \"1.0\"\n{extra}"))]);
    let err = Project::load(dir.path()).expect_err("the project should be refused");
    assert!(err.to_string().starts_with(&format!("pyproject.toml:{location}: ")), "{err}");
    err.to_diagnostic().render(false)
}

#[test]
fn bad_import_names_are_refused_at_their_line() {
    let text = error("import-names = [\"demo\", \"9lives\"]\n", "4:25");
    assert!(text.contains("`9lives` is not a valid import name"), "{text}");
    let text = error("import-names = [\"demo; public\"]\n", "4:17");
    assert!(text.contains("only `; private` may follow an import name, not `; public`"), "{text}");
    let text = error("import-names = [\"demo\", \"demo ; private\"]\n", "4:25");
    assert!(text.contains("`demo` is listed twice"), "{text}");
    let text = error("import-names = [\"demo.x\"]\nimport-namespaces = [\"demo\", \"demo.x\"]\n", "5:30");
    assert!(text.contains("`demo.x` is in both `import-names` and `import-namespaces`"), "{text}");
    let text = error("dynamic = [\"import-names\"]\n", "4:12");
    assert!(!text.contains("is not a [project] field"), "{text}");
}
