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

from .errors import FormatError, OutputError, ValidationError


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
    check_writable(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                                   suffix=f".tmp{path.suffix}")
    except OSError as e:
        raise OutputError(f"{path}: cannot write there ({e.strerror or e})") from None
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError) and not isinstance(e, OutputError):
            raise OutputError(f"{path}: the write failed, the old file is unchanged ({e.strerror or e})") from e
        raise


def check_writable(path, field: str = "out") -> Path:
    """Refuse, before any work, an output path that cannot be written: its folder is missing or
    not writable, or the path is a folder. Used by every command that writes a file."""
    path = Path(path)
    if str(path) == "" or path.name in ("", ".", ".."):
        raise ValidationError(field, str(path), "must name a file")
    if path.is_dir():
        raise ValidationError(field, str(path), "is a folder; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ValidationError(field, str(path), f"its folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ValidationError(field, str(path), "is not writable (permission denied)")
    return path


def check_folder(path, field: str = "out") -> Path:
    """An output folder: refused if it is a file, or cannot be created or written."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValidationError(field, str(path), "exists and is not a folder")
    probe = path
    while not probe.exists():
        probe = probe.parent if str(probe.parent) != str(probe) else Path(".")
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise ValidationError(field, str(path), f"cannot be written (folder {str(probe)!r} is not writable)")
    return path


def atomic_write_bytes(path, data: bytes) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)


def atomic_write_text(path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def read_text(path, field: str = "input") -> str:
    """A text file's content, or one declared error: missing, unreadable, or not UTF-8 text."""
    try:
        return Path(path).read_text()
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


def read_json(path, field: str = "input"):
    """A JSON file's content, or one declared error: missing, unreadable, or not (standard) JSON."""
    text = read_text(path, field)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise FormatError(f"{path}: not valid JSON ({e})") from None
    except (ValueError, RecursionError) as e:   # integers of thousands of digits, deep nesting
        raise FormatError(f"{path}: JSON this reader refuses ({type(e).__name__}: {str(e)[:80]})") from None
