"""Writing files whole or not at all: a temp file in the target directory, then a rename.

Only a regular file is ever replaced by a rename. A symbolic link is followed (the file it points to is
written, the link stays). A device or FIFO (``-o /dev/null``) is written into directly, never replaced: as
root, a rename over ``/dev/null`` would put a regular file in place of the device for the whole machine. A
directory, or a path whose parent is missing or not a directory, is refused with an error naming the fix.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from plugin.errors import OutputError


def check_output(path: str | Path, *, create_parents: bool = False) -> Path:
    """The file an output path writes to (symlinks followed), after checking it can be written there.

    ``create_parents``: make a missing parent directory (stancedesk's own data dirs); user-given ``-o`` paths
    are not silently given a new directory tree.
    """
    path = Path(path)
    target = path.resolve() if path.is_symlink() else path
    if target.is_dir():
        raise OutputError(f"output {path} is a directory; give a file name inside it, e.g. {path / 'out'}")
    parent = target.parent
    if not parent.exists():
        if not create_parents:
            raise OutputError(f"cannot write {path}: directory {parent} does not exist; create it first or choose "
                              "another output path")
        parent.mkdir(parents=True, exist_ok=True)
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: {parent} is not a directory; choose another output path")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"cannot write {path}: directory {parent} is not writable; choose another output path")
    return target


@contextmanager
def atomic_path(path: str | Path, mode: int = 0o644, *, create_parents: bool = True) -> Iterator[Path]:
    """Yield a temporary path; on success its content becomes ``path`` (see the module), on error it is removed."""
    target = check_output(path, create_parents=create_parents)
    special = target.exists() and not stat.S_ISREG(target.stat().st_mode)
    if special:  # a device or FIFO: write straight into it, never replace it
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = Path(tmp_dir) / target.name
            yield tmp
            try:
                with open(tmp, "rb") as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except OSError as e:
                raise OutputError(f"cannot write {path}: {e.strerror}; choose another output path") from e
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror}; choose another output path") from e
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes, *, create_parents: bool = True) -> None:
    with atomic_path(path, create_parents=create_parents) as tmp:
        tmp.write_bytes(data)
