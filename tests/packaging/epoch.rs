//! `SOURCE_DATE_EPOCH` sets every archive timestamp. Alone in its own test binary because
//! it changes the process environment.

use cffi_forge::archive::{self, ArchiveError};
use cffi_forge::config::Project;
use cffi_forge::tags::WheelTag;
use crate::packaging_support::*;

#[test]
fn source_date_epoch_sets_archive_times() {
    let tree = demo_tree();
    let project = Project::load(tree.path()).unwrap();
    let out = tempfile::tempdir().unwrap();

    // 2024-02-29T12:34:56Z
    std::env::set_var("SOURCE_DATE_EPOCH", "1709210096");
    let wheel = archive::write_wheel(&project, &WheelTag::pure(), &[], out.path()).unwrap();
    let sdist = archive::write_sdist(&project, out.path()).unwrap();
    for entry in read_zip(&wheel) {
        assert_eq!(entry.time, (2024, 2, 29, 12, 34, 56), "{}", entry.name);
    }
    for entry in read_tar_gz(&sdist) {
        assert_eq!(entry.mtime, 1_709_210_096, "{}", entry.name);
    }

    // Before 1980 (zip cannot store it): clamped to 1980-01-01.
    std::env::set_var("SOURCE_DATE_EPOCH", "0");
    let wheel = archive::write_wheel(&project, &WheelTag::pure(), &[], out.path()).unwrap();
    assert!(read_zip(&wheel).iter().all(|e| e.time == (1980, 1, 1, 0, 0, 0)));

    // Garbage is an error, not a silently different archive; nothing is written.
    let empty = tempfile::tempdir().unwrap();
    std::env::set_var("SOURCE_DATE_EPOCH", "yesterday");
    let err = archive::write_wheel(&project, &WheelTag::pure(), &[], empty.path()).unwrap_err();
    assert!(matches!(err, ArchiveError::SourceDateEpoch { .. }), "{err}");
    assert!(list_dir(empty.path()).is_empty());
    std::env::remove_var("SOURCE_DATE_EPOCH");
}
