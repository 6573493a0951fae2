"""Atomic writes: the old file survives a failed write, permissions are kept, no temporary is left."""
import os
import stat

import pytest

from spikemem.errors import MissingExtra, SpikememError
from spikemem.files import atomic_path, atomic_write_text
from spikemem.optional import require


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            with open(tmp, "w") as f:
                f.write("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.json"]


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o640])
def test_an_existing_file_keeps_its_permissions(tmp_path, mode):
    target = tmp_path / "out.json"
    target.write_text("old")
    os.chmod(target, mode)
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(os.stat(target).st_mode) == mode


def test_a_new_file_gets_the_umask_default(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o644


def test_the_temporary_keeps_the_suffix_for_libraries_that_choose_a_format_by_it(tmp_path):
    with atomic_path(tmp_path / "plot.png") as tmp:
        assert tmp.endswith(".png")
        open(tmp, "wb").close()
    assert (tmp_path / "plot.png").exists()


def test_a_missing_extra_is_one_declared_error_naming_the_pip_command():
    with pytest.raises(MissingExtra) as e:
        require("spikemem_no_such_module", "torch")
    assert isinstance(e.value, SpikememError) and isinstance(e.value, ImportError)
    assert str(e.value) == "spikemem_no_such_module is not installed: pip install 'spikemem[torch]'"
