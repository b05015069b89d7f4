"""Atomic writes: a temporary file in the same folder, fsync, then rename over the target."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, keep_mode: bool = True) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never a mix."""
    target = Path(os.path.realpath(path))  # write through a symlink, keep the link
    mode = None
    if keep_mode:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".unspin-tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is None:  # a new file: the usual permissions (mkstemp makes it 0600)
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    # surrogateescape: a file name that is not valid UTF-8 (os.walk gives it as lone surrogates) is
    # written back as its own bytes, as on standard output, instead of failing the whole report
    atomic_write_bytes(path, text.encode(encoding, errors="surrogateescape"))
