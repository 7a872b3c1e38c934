//! Core metadata read back by Python: the stdlib `email` parser (what `importlib.metadata`
//! uses) must recover every value of the pyproject, and `packaging.metadata` must accept
//! it as valid metadata 2.4 when `packaging` (24.2 or newer) is installed.

use cffi_forge::archive;
use cffi_forge::config::Project;
use cffi_forge::tags::WheelTag;
use crate::packaging_support::*;

const PYPROJECT: &str = r#"[project]
name = "rich_Meta"
version = "2024.1.0b2"
description = "Metadata round trip"
readme = { file = "README.rst", content-type = "text/x-rst; charset=UTF-8" }
requires-python = ">=3.8,<4"
license = { text = "Line one of the licence\nLine two of the licence" }
authors = [{ name = "Dr. Zoë Ünicode", email = "zoe@example.org" }, { name = "Plain Name" }]
maintainers = [{ email = "maint@example.org" }]
keywords = ["cffi", "c"]
classifiers = ["Programming Language :: Python :: 3", "Operating System :: POSIX"]
dependencies = ["attrs>=22", "typing-extensions; python_version < '3.10'"]

[project.optional-dependencies]
Test_Suite = ["pytest>=7", "hypothesis; implementation_name == 'cpython' or os_name == 'nt'"]

[project.urls]
Homepage = "https://example.org"
"Bug Tracker" = "https://example.org/issues"

[project.gui-scripts]
rich-gui = "rich_meta.gui:main"

[project.entry-points."rich.plugins"]
one = "rich_meta.plugins:One"
"#;

const README: &str = "Rich\n====\n\nA *reST* readme with ünïcode.\n\nLast line.\n";

const READ_BACK: &str = r#"
import email.parser, email.utils, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
name = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")][0]
text = z.read(name).decode("utf-8")
msg = email.parser.Parser().parsestr(text)
fields = {k: msg.get_all(k) for k in set(msg.keys())}
authors = email.utils.getaddresses(msg.get_all("Author-email"))
print(json.dumps({"fields": fields, "body": msg.get_payload(), "authors": authors}))
"#;

const VALIDATE: &str = r#"
import sys, zipfile
try:
    from packaging.metadata import Metadata
    import packaging
except ImportError:
    print("NO-PACKAGING")
    raise SystemExit(0)
z = zipfile.ZipFile(sys.argv[1])
name = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")][0]
m = Metadata.from_email(z.read(name), validate=True)
print(m.name, m.version, len(m.requires_dist), ",".join(m.provides_extra))
"#;

fn build() -> (tempfile::TempDir, std::path::PathBuf) {
    let tree = tree(&[("pyproject.toml", PYPROJECT), ("README.rst", README), ("rich_meta/__init__.py", "")]);
    let project = Project::load(tree.path()).unwrap();
    let wheel = archive::write_wheel(&project, &WheelTag::pure(), &[], tree.path()).unwrap();
    (tree, wheel)
}

#[test]
fn python_email_parser_recovers_every_field() {
    let (_tree, wheel) = build();
    let out: serde_json::Value =
        serde_json::from_str(&run_python(READ_BACK, &[wheel.to_str().unwrap()])).unwrap();
    let field = |k: &str| -> Vec<String> {
        out["fields"][k]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(field("Metadata-Version"), ["2.4"]);
    assert_eq!(field("Name"), ["rich_Meta"]);
    assert_eq!(field("Version"), ["2024.1.0b2"]);
    assert_eq!(field("Summary"), ["Metadata round trip"]);
    assert_eq!(field("Requires-Python"), [">=3.8, <4"]);
    assert_eq!(field("Keywords"), ["cffi,c"]);
    assert_eq!(field("Author"), ["Plain Name"]);
    assert_eq!(field("Author-email"), ["\"Dr. Zoë Ünicode\" <zoe@example.org>"]);
    assert_eq!(out["authors"], serde_json::json!([["Dr. Zoë Ünicode", "zoe@example.org"]]));
    assert_eq!(field("Maintainer-email"), ["maint@example.org"]);
    assert_eq!(field("Classifier"), ["Programming Language :: Python :: 3", "Operating System :: POSIX"]);
    assert_eq!(
        field("Project-URL"),
        ["Homepage, https://example.org", "Bug Tracker, https://example.org/issues"]
    );
    assert_eq!(field("Provides-Extra"), ["test-suite"]);
    assert_eq!(
        field("Requires-Dist"),
        [
            "attrs>=22",
            "typing-extensions; python_version < '3.10'",
            "cffi>=1.15; platform_python_implementation != 'PyPy'",
            "pytest>=7; extra == \"test-suite\"",
            "hypothesis; (implementation_name == 'cpython' or os_name == 'nt') and extra == \"test-suite\"",
        ]
    );
    assert_eq!(field("Description-Content-Type"), ["text/x-rst; charset=UTF-8"]);
    // The folded licence text unfolds to the original lines.
    let license = field("License").join("");
    let unfolded: Vec<&str> = license.lines().map(str::trim).collect();
    assert_eq!(unfolded, ["Line one of the licence", "Line two of the licence"]);
    assert_eq!(out["body"].as_str().unwrap(), README);
}

#[test]
fn packaging_validates_the_metadata() {
    let (_tree, wheel) = build();
    let out = run_python(VALIDATE, &[wheel.to_str().unwrap()]);
    if out.trim() == "NO-PACKAGING" {
        not_run(
            "packaging_metadata validation by packaging.metadata",
            &format!(
                "`packaging` is not installed in {} (the email-parser round trip still ran); install \
                 packaging>=24.2 there (tests/py/requirements-tools.txt pins it)",
                python().display()
            ),
        );
        return;
    }
    assert_eq!(out.trim(), "rich_Meta 2024.1.0b2 5 test-suite");
}

#[test]
fn prepare_metadata_and_wheel_agree_for_pep517_frontends() {
    let (tree, wheel) = build();
    let project = Project::load(tree.path()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dist_info = archive::write_metadata_dir(&project, None, dir.path()).unwrap();
    let prepared = std::fs::read(dist_info.join("METADATA")).unwrap();
    let in_wheel = read_zip(&wheel).into_iter().find(|e| e.name.ends_with("/METADATA")).unwrap().data;
    assert_eq!(prepared, in_wheel);
    assert!(dist_info.join("entry_points.txt").is_file());
    let entry_points = std::fs::read_to_string(dist_info.join("entry_points.txt")).unwrap();
    assert_eq!(
        entry_points,
        "[gui_scripts]\nrich-gui = rich_meta.gui:main\n\n[rich.plugins]\none = rich_meta.plugins:One\n"
    );
}
