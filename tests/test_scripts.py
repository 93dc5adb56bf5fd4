"""The README's setup step: `scripts/setup` installs into .venv only when pyproject.toml changed.

It runs on a copy of the script in a scratch tree whose .venv/bin/pip only writes down how it was called,
so the check needs no network and leaves the real .venv alone.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_setup_reinstalls_only_when_pyproject_changes(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup", tmp_path / "scripts" / "setup")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(shutil.which("python3"))
    calls = tmp_path / "pip-calls"
    pip = bin_dir / "pip"
    pip.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    pip.chmod(pip.stat().st_mode | stat.S_IXUSR)

    def setup(*extras: str) -> list[str]:
        subprocess.run(["bash", str(tmp_path / "scripts" / "setup"), *extras], check=True, timeout=60)
        return calls.read_text().splitlines() if calls.exists() else []

    assert setup("test") == ["install -q -e .[test]"]
    assert setup("test") == ["install -q -e .[test]"]  # nothing changed: no second install
    assert setup() == ["install -q -e .[test]", "install -q -e ."]  # other extras are their own install
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "2"\n')
    after_change = setup("test")
    assert after_change[2:] == ["install -q -e .[test]"]  # pyproject.toml changed: installed again
    assert setup("test") == after_change  # and only once
