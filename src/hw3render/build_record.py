"""Which profile built each file of the output folder, so no command mixes two builds.

A render of one profile over the output of another (a quick HTML-only render over a smoke
build, say) would otherwise leave the smoke PDF and notebooks beside the new pages, linked
from them, and `hw3 submission --profile full` would zip a smoke book. So the book's
post-render step (`hw3 notebooks --quarto`, run by Quarto and by `hw3 render` alike) records
the profile of every file the render wrote (QUARTO_PROJECT_OUTPUT_FILES) and of each
notebook it exports in `.hw3-build.json` in the output folder, written after those files
and atomically; then it removes the files recorded under another profile, with their
figures, so that what the site links to is of this render's profile or absent. The
submission zips only files recorded under the profile it is asked for.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Iterable

from hw3core.errors import UserError

RECORD = ".hw3-build.json"


class BuildMismatch(UserError):
    """The output folder holds files of another profile than the one asked for, or unrecorded ones."""


def recorded(out: Path) -> dict[str, str]:
    """Each recorded file (relative to `out`, POSIX) and the profile that wrote it; {} when none
    is recorded or the record cannot be read (then nothing counts as built)."""
    try:
        files = json.loads((out / RECORD).read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return {str(name): str(profile) for name, profile in files.items()} if isinstance(files, dict) else {}


def record(out: Path, profile: str, files: Iterable[Path]) -> None:
    """Record `files` (absolute, or relative to `out`) as written by `profile`, keeping the other entries."""
    from hw3core.atomic import write_json  # imports torch: only when a build is recorded, not at `hw3 --help`

    entries = recorded(out) | {_relative(out, path): profile for path in files}
    write_json(out / RECORD, {"files": dict(sorted(entries.items()))})


def clear_other_profiles(out: Path, profile: str) -> list[str]:
    """Remove every file recorded under another profile (and a page's `<stem>_files/` figures);
    returns what was removed, relative to `out`."""
    from hw3core.atomic import write_json

    entries = recorded(out)
    stale = sorted(name for name, built in entries.items() if built != profile)
    for name in stale:
        path = out / name
        path.unlink(missing_ok=True)
        if path.suffix == ".html":
            shutil.rmtree(path.with_name(f"{path.stem}_files"), ignore_errors=True)
    if stale:
        write_json(out / RECORD, {"files": {name: built for name, built in entries.items() if name not in stale}})
    return stale


def require_profile(out: Path, profile: str, files: Iterable[Path]) -> None:
    """Fail, naming them, if any of `files` was not recorded as built by `profile`."""
    entries = recorded(out)
    wrong = {name: entries.get(name) for name in (_relative(out, path) for path in files) if entries.get(name) != profile}
    if wrong:
        others = sorted({built for built in wrong.values() if built is not None})
        names = ", ".join(list(wrong)[:3]) + (f" and {len(wrong) - 3} more" if len(wrong) > 3 else "")
        built = f"built by profile {', '.join(others)}" if others else f"not recorded as built (no {RECORD} entry)"
        raise BuildMismatch(f"{out}: {names} {built}, not {profile}; render the book with --profile {profile} first (make report PROFILE={profile})")


def _relative(out: Path, path: Path) -> str:
    return (out / path).resolve().relative_to(out.resolve()).as_posix()
