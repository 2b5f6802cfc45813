"""requirements.lock is in step with pyproject.toml and with the environment the tests run in.

`make lock` also runs this file as a script (standard library only, no pytest needed):
`python tests/test_lock.py requirements [PYPROJECT]` prints the requirements it resolves
(pyproject's [project].dependencies plus the dev extra) and `python tests/test_lock.py
fingerprint [PYPROJECT]` the SHA-256 that the lock's header records, so that the lock and
this test never compute them differently. `make lock` reads both from one copy of the file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"
FINGERPRINT_LINE = re.compile(r"^# pyproject-dependencies-sha256: ([0-9a-f]{64})$", re.MULTILINE)
PIN_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)$")
LOCKED_EXTRAS = ("dev",)


def dependency_lists(pyproject: Path = PYPROJECT) -> dict:
    """[project].dependencies and [project.optional-dependencies], as pyproject.toml has them."""
    project = tomllib.loads(pyproject.read_text())["project"]
    return {
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
    }


def fingerprint(lists: dict) -> str:
    canonical = json.dumps(lists, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def requirements(lists: dict) -> list[str]:
    """What `make lock` resolves: what `pip install -e '.[dev]'` asks for."""
    extras = [req for extra in LOCKED_EXTRAS for req in lists["optional-dependencies"][extra]]
    return [*lists["dependencies"], *extras]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN_LINE.match(line)
        assert match, f"requirements.lock: not a `name==version` pin: {line!r}"
        pins[canonical(match[1])] = match[2]
    return pins


def test_lock_header_fingerprint_matches_pyproject():
    found = FINGERPRINT_LINE.findall(LOCK.read_text())
    assert len(found) == 1, "requirements.lock has no `# pyproject-dependencies-sha256:` line"
    assert found[0] == fingerprint(dependency_lists()), (
        "pyproject.toml's dependency lists changed since requirements.lock was made: "
        "run `make lock`"
    )


def test_every_direct_dependency_is_locked_at_its_pyproject_pin():
    from packaging.requirements import Requirement

    pins = lock_pins()
    for text in requirements(dependency_lists()):
        req = Requirement(text)
        if req.marker and not req.marker.evaluate():
            continue
        name = canonical(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock: run `make lock`"
        exact = [spec.version for spec in req.specifier if spec.operator == "=="]
        assert len(exact) == 1, f"pyproject.toml should pin {text!r} exactly (==)"
        assert pins[name] == exact[0], (
            f"requirements.lock has {req.name}=={pins[name]}, pyproject.toml {text!r}: "
            "run `make lock`"
        )


@functools.cache
def installed() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, Requires-Dist), for each distribution this environment imports from.

    Read from the METADATA headers with a regex: importlib's email parsing of all of them
    takes ten times as long.
    """
    found: dict[str, tuple[str, list[str]]] = {}
    for dist in metadata.distributions():
        text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
        headers = text.split("\n\n", 1)[0]
        name = re.search(r"^Name:[ \t]*(\S+)", headers, re.MULTILINE)
        version = re.search(r"^Version:[ \t]*(\S+)", headers, re.MULTILINE)
        if name and version:
            requires = re.findall(r"^Requires-Dist:[ \t]*(.+?)\s*$", headers, re.MULTILINE)
            found.setdefault(canonical(name[1]), (version[1], requires))
    return found


def test_installed_distributions_match_the_lock():
    have = installed()
    wrong = {
        name: (version, have[name][0] if name in have else "not installed")
        for name, version in lock_pins().items()
        if name not in have or have[name][0] != version
    }
    assert not wrong, (
        "this environment differs from requirements.lock ({name: (locked, installed)}): "
        f"{wrong}; run `pip install -c requirements.lock -e '.[dev]'`"
    )


def test_everything_the_project_pulls_in_is_locked():
    """The installed project's dependency closure (with the dev extra) has no unpinned member."""
    from packaging.requirements import Requirement

    pins, have = lock_pins(), installed()
    todo = [("platform-assets", frozenset(LOCKED_EXTRAS))]
    seen: set[tuple[str, frozenset[str]]] = set()
    unpinned = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen or name not in have:
            continue
        seen.add((name, extras))
        for text in have[name][1]:
            marker = text.partition(";")[2]
            if "extra" in marker and " or " not in marker and not any(e in marker for e in extras):
                continue  # only for an extra not asked for: skip the slow parse
            req = Requirement(text)
            if req.marker and not any(
                req.marker.evaluate({"extra": extra}) for extra in ("", *extras)
            ):
                continue
            dep = canonical(req.name)
            if dep not in pins:
                unpinned.add(dep)
            todo.append((dep, frozenset(req.extras)))
    assert ("platform-assets", frozenset(LOCKED_EXTRAS)) in seen, "platform-assets not installed"
    assert not unpinned, f"installed but not pinned in requirements.lock: {sorted(unpinned)}"


if __name__ == "__main__":
    command, *path = sys.argv[1:] or ["fingerprint"]
    if command not in ("fingerprint", "requirements") or len(path) > 1:
        sys.exit("usage: python tests/test_lock.py fingerprint|requirements [PYPROJECT]")
    lists = dependency_lists(Path(path[0]) if path else PYPROJECT)
    print(fingerprint(lists) if command == "fingerprint" else "\n".join(requirements(lists)))
