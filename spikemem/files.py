"""Files the project writes: atomically, keeping an existing file's permissions.

A write goes to a temporary file beside the target, is flushed to disk, takes the old file's
mode (or the umask's default for a new file), and replaces the target with one rename. A
failed, full-disk or interrupted write leaves the old file as it was and no temporary behind.
"""
from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path

from .errors import FormatError, ValidationError


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path):
    """A temporary path to write (by any library: savefig, torch.save, nir.write) that becomes `path`
    on success. The suffix is kept, so libraries that pick a format by extension still do."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                               suffix=f".tmp{path.suffix}")
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path, data: bytes) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)


def atomic_write_text(path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def read_json(path, field: str = "input"):
    """A JSON file's content, or one declared error: missing, unreadable, or not (standard) JSON."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise ValidationError(field, str(path), "no such file") from None
    except IsADirectoryError:
        raise ValidationError(field, str(path), "is a directory, not a file") from None
    except PermissionError:
        raise ValidationError(field, str(path), "cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not a text (UTF-8) file") from None
    except OSError as e:
        raise ValidationError(field, str(path), f"cannot be read ({e.strerror or e})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise FormatError(f"{path}: not valid JSON ({e})") from None
    except (ValueError, RecursionError) as e:   # integers of thousands of digits, deep nesting
        raise FormatError(f"{path}: JSON this reader refuses ({type(e).__name__}: {str(e)[:80]})") from None
