"""Reading a built wheel and checking it against PEP 427 / the binary distribution spec."""

import base64
import csv
import hashlib
import io
import re
import zipfile
from email.parser import HeaderParser
from pathlib import Path

WHEEL_NAME = re.compile(
    r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-(?P<build>\d[^-]*))?"
    r"-(?P<python>[^-]+)-(?P<abi>[^-]+)-(?P<platform>[^-]+)\.whl$"
)


class Wheel:
    def __init__(self, path):
        self.path = Path(path)
        match = WHEEL_NAME.match(self.path.name)
        assert match, "not a valid wheel file name: %s" % self.path.name
        self.name = match.group("name")
        self.version = match.group("version")
        self.python_tag = match.group("python")
        self.abi_tag = match.group("abi")
        self.platform_tag = match.group("platform")
        with zipfile.ZipFile(self.path) as z:
            self.files = {info.filename: z.read(info) for info in z.infolist() if not info.is_dir()}
            self.infos = z.infolist()
        self.dist_info = "%s-%s.dist-info" % (self.name, self.version)

    @property
    def tag(self):
        return "%s-%s-%s" % (self.python_tag, self.abi_tag, self.platform_tag)

    def text(self, name):
        return self.files[name].decode("utf-8")

    def metadata(self):
        return HeaderParser().parsestr(self.text(self.dist_info + "/METADATA"))

    def wheel_file(self):
        return HeaderParser().parsestr(self.text(self.dist_info + "/WHEEL"))

    def entry_points(self):
        """{group: {name: value}} from entry_points.txt (empty if absent)."""
        name = self.dist_info + "/entry_points.txt"
        groups, current = {}, None
        for line in self.text(name).splitlines() if name in self.files else []:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                current = groups.setdefault(line.strip("[]").strip(), {})
            else:
                key, _, value = line.partition("=")
                current[key.strip()] = value.strip()
        return groups

    def check_record(self):
        """Every file is listed in RECORD with the right hash and size, and nothing else."""
        record_name = self.dist_info + "/RECORD"
        assert record_name in self.files, "no RECORD in %s" % self.path.name
        rows = list(csv.reader(io.StringIO(self.text(record_name))))
        listed = {}
        for row in rows:
            assert len(row) == 3, "RECORD row with %d fields: %r" % (len(row), row)
            path, digest, size = row
            assert path not in listed, "RECORD lists %s twice" % path
            listed[path] = (digest, size)
        assert set(listed) == set(self.files), (
            "RECORD and archive differ: only in RECORD %s, only in archive %s"
            % (sorted(set(listed) - set(self.files)), sorted(set(self.files) - set(listed)))
        )
        for path, (digest, size) in listed.items():
            if path == record_name:
                assert digest == "" and size == "", "RECORD must not hash itself"
                continue
            algorithm, _, value = digest.partition("=")
            assert algorithm == "sha256", "%s: hash %r is not sha256" % (path, digest)
            data = self.files[path]
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert value == expected.decode(), "%s: RECORD hash does not match" % path
            assert size == str(len(data)), "%s: RECORD size %s, actual %d" % (path, size, len(data))

    def check_layout(self):
        """dist-info is the only metadata folder; nothing escapes the archive."""
        for name in self.files:
            assert not name.startswith("/") and ".." not in name.split("/"), name
            top = name.split("/")[0]
            if top.endswith(".dist-info"):
                assert top == self.dist_info, "unexpected metadata folder %s" % top
        for required in ("METADATA", "WHEEL", "RECORD"):
            assert "%s/%s" % (self.dist_info, required) in self.files, required
        wheel = self.wheel_file()
        assert wheel["Wheel-Version"] == "1.0", wheel["Wheel-Version"]
        tags = wheel.get_all("Tag")
        expected = {
            "%s-%s-%s" % (p, a, pl)
            for p in self.python_tag.split(".")
            for a in self.abi_tag.split(".")
            for pl in self.platform_tag.split(".")
        }
        assert set(tags) == expected, "WHEEL tags %s vs file name %s" % (tags, self.tag)

    def requires_dist(self):
        return self.metadata().get_all("Requires-Dist") or []

    def check_files(self, expected, ext):
        """The archive holds exactly the `expected` files (sample expectations: `{dist-info}`
        stands for the .dist-info folder, `{ext}` for the compiled module suffix)."""
        wanted = expand_file_list(expected, dist_info=self.dist_info, ext=ext)
        extra, missing = compare_file_lists(self.files, wanted)
        assert not extra and not missing, file_list_message(self.path.name, extra, missing)


def expand_file_list(patterns, dist_info, ext):
    """Fill in the placeholders of an expected file list."""
    return [p.replace("{dist-info}", dist_info).replace("{ext}", ext) for p in patterns]


def compare_file_lists(actual, expected):
    """(extra, missing): files archived but not expected, expected but not archived."""
    actual, expected = set(actual), set(expected)
    return sorted(actual - expected), sorted(expected - actual)


def file_list_message(what, extra, missing):
    parts = ["%s does not hold exactly the expected files:" % what]
    if extra:
        parts.append("  extra (archived, not expected): %s" % ", ".join(extra))
    if missing:
        parts.append("  missing (expected, not archived): %s" % ", ".join(missing))
    return "\n".join(parts)
