"""What a registered version was built with: the git commit and the versions of the packages
that shape its numbers, recorded in its registry row.
"""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
LINEAGE_PACKAGES = ("scikit-learn", "pandas", "numpy", "duckdb", "dagster", "dbt-core", "evidently")


def git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=REPOSITORY_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


def package_versions() -> dict[str, str]:
    versions = {}
    for package in LINEAGE_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions
