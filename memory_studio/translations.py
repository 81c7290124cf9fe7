"""The translation catalogs (locale/<language>/LC_MESSAGES/django.po and djangojs.po): update them
from the code, and check that they are complete.

    python -m memory_studio.translations update   # after marking new strings (`make messages`)
    python -m memory_studio.translations check    # CI (`make test`): fails on any gap

`check` runs Django's makemessages on a copy of the project and fails if that would add an entry
the committed catalogs lack (a string marked but never translated) or drop one (a string no longer
in the code); it also fails on any untranslated or fuzzy entry, on a format string whose
placeholders differ from its translation (msgfmt --check), and on a compiled .mo that is not
what its .po compiles to. The .mo files are committed, so that a fresh `make run` speaks Korean
without GNU gettext installed; updating and checking need it (msgfmt, xgettext, msgmerge).
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ko",)
DOMAINS = ("django", "djangojs")
# Not the product's own strings: the virtualenv, data, benchmarks, tests, scripts.
IGNORE = (
    ".venv",
    "venv",
    "var",
    "bench",
    "docs",
    "scripts",
    "node_modules",
    ".whl",
    ".gl",
    "*/tests",
    "conftest.py",
)
# What a copy of the project for `check` leaves out (large, or not source).
_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "var",
    "bench",
    "docs",
    "node_modules",
    ".whl",
    ".gl",
    "__pycache__",
    "*.pyc",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "*.pt",
)


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


_LINE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header and obsolete (#~) entries left out."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        fields: dict[str, str] = {}
        flags: set[str] = set()
        current = ""
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif match := _LINE.match(line):
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if not fields.get("msgid"):
            continue  # the header (msgid "") or an obsolete entry
        forms = sorted((k for k in fields if k.startswith("msgstr")), key=lambda k: (len(k), k))
        entries.append(
            Entry(
                msgid=fields["msgid"],
                msgctxt=fields.get("msgctxt"),
                msgid_plural=fields.get("msgid_plural"),
                msgstr=[fields[k] for k in forms],
                flags=flags,
            )
        )
    return entries


def _po(root: Path, language: str, domain: str) -> Path:
    return root / "locale" / language / "LC_MESSAGES" / f"{domain}.po"


def _run(args: list[str], *, cwd: Path, data_dir: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "memory_studio.settings_test",
        "MEMORY_STUDIO_DATA_DIR": str(data_dir),
    }
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def makemessages(root: Path, *, data_dir: Path) -> None:
    """Django's makemessages for every language and domain, in `root`, with the project's options."""
    ignore = [arg for pattern in IGNORE for arg in ("--ignore", pattern)]
    for domain in DOMAINS:
        args = [sys.executable, "manage.py", "makemessages", "--domain", domain, "--no-obsolete"]
        args += ["--add-location", "file", *ignore]
        args += [arg for language in LANGUAGES for arg in ("--locale", language)]
        _run(args, cwd=root, data_dir=data_dir)


def compilemessages(root: Path, *, data_dir: Path) -> None:
    ignore = [arg for pattern in IGNORE for arg in ("--ignore", pattern)]
    _run([sys.executable, "manage.py", "compilemessages", *ignore], cwd=root, data_dir=data_dir)


def _catalog(mo: Path) -> dict[object, str]:
    with mo.open("rb") as handle:
        catalog: dict[object, str] = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    return catalog


def _describe(entry: Entry) -> str:
    return repr(entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}|{entry.msgid}")


def check(root: Path = ROOT) -> list[str]:
    """Every problem of the catalogs of the project at `root`, in words; none means complete."""
    if shutil.which("msgfmt") is None or shutil.which("xgettext") is None:
        return ["GNU gettext (msgfmt, xgettext) is not installed: scripts/ensure-system-deps.sh installs it."]
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="memory-studio-messages-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(root, copy, ignore=_COPY_IGNORE)
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        makemessages(copy, data_dir=data_dir)
        for language in LANGUAGES:
            for domain in DOMAINS:
                po = _po(root, language, domain)
                name = po.relative_to(root)
                if not po.is_file():
                    problems.append(f"{name} is missing.")
                    continue
                committed = parse_po(po)
                wanted = {entry.key: entry for entry in parse_po(_po(copy, language, domain))}
                have = {entry.key for entry in committed}
                problems += [
                    f"{name}: not in the catalog yet: {_describe(e)}"
                    for k, e in wanted.items()
                    if k not in have
                ]
                problems += [
                    f"{name}: no longer in the code: {_describe(e)}" for e in committed if e.key not in wanted
                ]
                for entry in committed:
                    if "fuzzy" in entry.flags:
                        problems.append(f"{name}: fuzzy: {_describe(entry)}")
                    if not entry.msgstr or not all(entry.msgstr):
                        problems.append(f"{name}: untranslated: {_describe(entry)}")
                compiled = Path(tmp) / f"{language}-{domain}.mo"
                result = subprocess.run(  # noqa: S603
                    ["msgfmt", "--check", "-o", str(compiled), str(po)],  # noqa: S607
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if result.returncode != 0:
                    problems.append(f"{name}: msgfmt --check failed:\n{result.stderr}")
                    continue
                mo = po.with_suffix(".mo")
                if not mo.is_file() or _catalog(mo) != _catalog(compiled):
                    problems.append(
                        f"{mo.relative_to(root)} is not compiled from {name}: run `make messages`."
                    )
    return problems


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "update":
        with tempfile.TemporaryDirectory(prefix="memory-studio-messages-") as data_dir:
            makemessages(ROOT, data_dir=Path(data_dir))
            compilemessages(ROOT, data_dir=Path(data_dir))
        print("Catalogs updated: translate the new entries (msgstr), then run `make messages` again.")  # noqa: T201
        return 0
    if command == "check":
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)  # noqa: T201
        if problems:
            print(f"{len(problems)} translation problem(s).", file=sys.stderr)  # noqa: T201
            return 1
        print("Translations are complete.")  # noqa: T201
        return 0
    print(__doc__, file=sys.stderr)  # noqa: T201
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
