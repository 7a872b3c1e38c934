//! Which system package holds a pkg-config name, per distribution family, for the hint of
//! a package pkg-config cannot find. Only names checked to exist (the Debian column is
//! verified against `apt-cache` by a test); a name not in the table gets a hint that says
//! how to search, never an invented package name.

/// The packages that provide one `.pc` file, per family (`None`: not packaged there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packages {
    /// Debian, Ubuntu (`apt-get install`).
    pub debian: &'static str,
    /// Fedora, RHEL, AlmaLinux, the manylinux images (`dnf install` / `yum install`).
    pub fedora: &'static str,
    /// Alpine and the musllinux images (`apk add`).
    pub alpine: Option<&'static str>,
    /// Homebrew (`brew install`).
    pub homebrew: Option<&'static str>,
}

/// `(pc names, debian, fedora, alpine, homebrew)`.
type Row = (&'static [&'static str], &'static str, &'static str, Option<&'static str>, Option<&'static str>);

const TABLE: &[Row] = &[
    (&["zlib"], "zlib1g-dev", "zlib-devel", Some("zlib-dev"), Some("zlib")),
    (&["libffi"], "libffi-dev", "libffi-devel", Some("libffi-dev"), Some("libffi")),
    (
        &["openssl", "libssl", "libcrypto"],
        "libssl-dev",
        "openssl-devel",
        Some("openssl-dev"),
        Some("openssl@3"),
    ),
    (&["sqlite3"], "libsqlite3-dev", "sqlite-devel", Some("sqlite-dev"), Some("sqlite")),
    (&["libxml-2.0"], "libxml2-dev", "libxml2-devel", Some("libxml2-dev"), Some("libxml2")),
    (&["libxslt", "libexslt"], "libxslt1-dev", "libxslt-devel", Some("libxslt-dev"), Some("libxslt")),
    (&["libargon2"], "libargon2-dev", "libargon2-devel", Some("argon2-dev"), Some("argon2")),
    (&["libuv"], "libuv1-dev", "libuv-devel", Some("libuv-dev"), Some("libuv")),
    (&["libsodium"], "libsodium-dev", "libsodium-devel", Some("libsodium-dev"), Some("libsodium")),
    (&["libgit2"], "libgit2-dev", "libgit2-devel", Some("libgit2-dev"), Some("libgit2")),
    (&["libzstd"], "libzstd-dev", "libzstd-devel", Some("zstd-dev"), Some("zstd")),
    (&["liblzma"], "liblzma-dev", "xz-devel", Some("xz-dev"), Some("xz")),
    (&["bzip2"], "libbz2-dev", "bzip2-devel", Some("bzip2-dev"), Some("bzip2")),
    (&["liblz4"], "liblz4-dev", "lz4-devel", Some("lz4-dev"), Some("lz4")),
    (
        &["libbrotlicommon", "libbrotlienc", "libbrotlidec"],
        "libbrotli-dev",
        "brotli-devel",
        Some("brotli-dev"),
        Some("brotli"),
    ),
    (&["libcurl"], "libcurl4-openssl-dev", "libcurl-devel", Some("curl-dev"), Some("curl")),
    (&["libnghttp2"], "libnghttp2-dev", "libnghttp2-devel", Some("nghttp2-dev"), Some("libnghttp2")),
    (&["libpng", "libpng16"], "libpng-dev", "libpng-devel", Some("libpng-dev"), Some("libpng")),
    (&["libjpeg"], "libjpeg-dev", "libjpeg-turbo-devel", Some("libjpeg-turbo-dev"), Some("jpeg-turbo")),
    (&["freetype2"], "libfreetype-dev", "freetype-devel", Some("freetype-dev"), Some("freetype")),
    (&["cairo"], "libcairo2-dev", "cairo-devel", Some("cairo-dev"), Some("cairo")),
    (
        &["glib-2.0", "gobject-2.0", "gio-2.0"],
        "libglib2.0-dev",
        "glib2-devel",
        Some("glib-dev"),
        Some("glib"),
    ),
    (&["expat"], "libexpat1-dev", "expat-devel", Some("expat-dev"), Some("expat")),
    (&["yaml-0.1"], "libyaml-dev", "libyaml-devel", Some("yaml-dev"), Some("libyaml")),
    (&["libpq"], "libpq-dev", "libpq-devel", Some("libpq-dev"), Some("libpq")),
    (&["libevent"], "libevent-dev", "libevent-devel", Some("libevent-dev"), Some("libevent")),
    (&["libusb-1.0"], "libusb-1.0-0-dev", "libusb1-devel", Some("libusb-dev"), Some("libusb")),
    (
        &["hidapi-hidraw", "hidapi-libusb"],
        "libhidapi-dev",
        "hidapi-devel",
        Some("hidapi-dev"),
        Some("hidapi"),
    ),
    (&["libpcap"], "libpcap-dev", "libpcap-devel", Some("libpcap-dev"), Some("libpcap")),
    (&["libseccomp"], "libseccomp-dev", "libseccomp-devel", Some("libseccomp-dev"), None),
    (&["libsystemd"], "libsystemd-dev", "systemd-devel", None, None),
    (&["fuse3"], "libfuse3-dev", "fuse3-devel", Some("fuse3-dev"), None),
    (&["portaudio-2.0"], "portaudio19-dev", "portaudio-devel", Some("portaudio-dev"), Some("portaudio")),
    (&["gmp"], "libgmp-dev", "gmp-devel", Some("gmp-dev"), Some("gmp")),
    (&["mpfr"], "libmpfr-dev", "mpfr-devel", Some("mpfr-dev"), Some("mpfr")),
    (&["libarchive"], "libarchive-dev", "libarchive-devel", Some("libarchive-dev"), Some("libarchive")),
    (&["libmagic"], "libmagic-dev", "file-devel", Some("file-dev"), Some("libmagic")),
    (&["libsecp256k1"], "libsecp256k1-dev", "libsecp256k1-devel", Some("libsecp256k1-dev"), None),
];

/// Every row of the table.
pub fn all() -> impl Iterator<Item = Packages> {
    TABLE.iter().map(|&(_, debian, fedora, alpine, homebrew)| Packages { debian, fedora, alpine, homebrew })
}

/// The packages holding `<pc_name>.pc`, if the table knows them.
pub fn lookup(pc_name: &str) -> Option<Packages> {
    TABLE.iter().find(|row| row.0.contains(&pc_name)).map(|&(_, debian, fedora, alpine, homebrew)| Packages {
        debian,
        fedora,
        alpine,
        homebrew,
    })
}

/// The help for a `.pc` file pkg-config cannot find: the package to install on each
/// family, or how to search for it.
pub fn install_hint(pc_name: &str) -> String {
    let pc = format!("`{pc_name}.pc`");
    match lookup(pc_name) {
        Some(p) => {
            let mut ways = vec![
                format!("Debian/Ubuntu: `apt-get install {}`", p.debian),
                format!("Fedora/RHEL/manylinux: `dnf install {}` (`yum` on older ones)", p.fedora),
            ];
            if let Some(alpine) = p.alpine {
                ways.push(format!("Alpine/musllinux: `apk add {alpine}`"));
            }
            if let Some(brew) = p.homebrew {
                ways.push(format!(
                    "macOS: `brew install {brew}` (a keg-only formula also needs \
                     PKG_CONFIG_PATH=\"$(brew --prefix {brew})/lib/pkgconfig\")"
                ));
            }
            format!(
                "install the development package that provides {pc} ({}), or add the folder holding \
                 {pc} to PKG_CONFIG_PATH; under cibuildwheel install it in `before-all` (e.g. \
                 `before-all = \"yum install -y {}\"`, musllinux: `apk add {}`)",
                ways.join("; "),
                p.fedora,
                p.alpine.unwrap_or(p.fedora)
            )
        }
        None => format!(
            "install the development package that provides {pc}, or add the folder holding it to \
             PKG_CONFIG_PATH. To find the package: Debian/Ubuntu `apt-file search {pc_name}.pc`; \
             Fedora/RHEL/manylinux `dnf install 'pkgconfig({pc_name})'` installs it directly; \
             Alpine/musllinux `apk add pc:{pc_name}`; macOS `brew search {stem}`. Under cibuildwheel \
             install it in `before-all`",
            stem = pc_name.trim_start_matches("lib")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_per_family_and_no_invented_name_for_unknown_ones() {
        let libuv = lookup("libuv").unwrap();
        assert_eq!(
            (libuv.debian, libuv.fedora, libuv.alpine, libuv.homebrew),
            ("libuv1-dev", "libuv-devel", Some("libuv-dev"), Some("libuv"))
        );
        let hint = install_hint("zlib");
        for expected in
            ["apt-get install zlib1g-dev", "dnf install zlib-devel", "apk add zlib-dev", "brew install zlib"]
        {
            assert!(hint.contains(expected), "{expected}: {hint}");
        }
        assert_eq!(lookup("libssl"), lookup("openssl"));
        let hint = install_hint("libnosuchthing");
        assert!(!hint.contains("-dev`") && !hint.contains("-devel"), "{hint}");
        assert!(
            hint.contains("apt-file search libnosuchthing.pc") && hint.contains("pkgconfig(libnosuchthing)"),
            "{hint}"
        );
    }
}
