"""Writing outputs whole or not at all, and never replacing what is not a regular file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from plugin.errors import OutputError
from plugin.fileio import atomic_path, write_bytes_atomic


def test_a_device_is_written_into_never_replaced():
    # as root, a rename over /dev/null would replace the machine's device with a regular file
    before = os.stat("/dev/null")
    write_bytes_atomic("/dev/null", b"discarded")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_a_symlink_is_followed_and_kept(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_bytes_atomic(link, b"new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_regular_file_is_replaced_whole(tmp_path):
    out = tmp_path / "out.json"
    out.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(out) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert out.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.json"]
    write_bytes_atomic(out, b"new")
    assert out.read_text() == "new"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: tmp, r"is a directory; give a file name inside it"),
        (lambda tmp: tmp / "missing" / "x.docx", r"directory .*missing does not exist; create it first"),
        (lambda tmp: (tmp / "file.txt").write_text("x") and tmp / "file.txt" / "x.docx", r"file.txt is not a directory"),
        (lambda tmp: Path("/proc/version/x.docx"), r"/proc/version is not a directory"),
    ],
    ids=["directory", "missing-parent", "parent-is-a-file", "parent-is-a-proc-file"],
)
def test_bad_output_paths_are_refused_with_the_fix(tmp_path, make, message):
    with pytest.raises(OutputError, match=message):
        write_bytes_atomic(make(tmp_path), b"x", create_parents=False)
    assert not (tmp_path / "missing").exists()  # no directory tree created behind the user's back
