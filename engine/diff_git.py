"""The versions `unitsheet diff` compares, as git hands them over: `--git REV [REV] [PATH ...]`
(read from the repository) and git's call of an external diff (GIT_EXTERNAL_DIFF, `diff.external`,
a `diff.<driver>.command`: path old-file old-hex old-mode new-file new-hex new-mode, then a renamed
file's new path and git's message; a lone path for an unmerged one).

Revisions and paths are the user's text: git runs with a list of arguments (never a shell), a
revision is resolved with `rev-parse --verify --end-of-options` (one starting with `-` is
refused), and blobs are read with `cat-file blob`, which applies no textconv or filter.
"""

from __future__ import annotations

import posixpath
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostic, ModelError

NULL = "/dev/null"  # git's name for the side of an added or deleted file


@dataclass(frozen=True)
class Version:
    label: str  # how errors and the output name it: "HEAD~1:models/x.ush", "a/models/x.ush"
    text: str | None  # None: the file is not in this version (added or deleted)


@dataclass(frozen=True)
class Pair:
    path: str
    old: Version
    new: Version


def _refuse(message: str, hint: str | None = None):
    raise ModelError([Diagnostic("git", message, None, hint=hint)])


def git(args: list[str]) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, check=False)
    except OSError as err:
        _refuse(f"cannot run git: {err.strerror or err}",
                "install git, or compare two files: unitsheet diff OLD.ush NEW.ush")
    if done.returncode != 0:
        _refuse(f"git {args[0]} failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout.decode("utf-8", "surrogateescape")


def commit(rev: str) -> str | None:
    """The commit `rev` names, or None."""
    if not rev or rev.startswith("-"):
        return None
    done = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"],
                          capture_output=True, check=False)
    return done.stdout.decode().strip() if done.returncode == 0 else None


def from_repository(words: list[str], after_dashes: list[str]) -> list[Pair]:
    """`--git REV [REV] [PATH ...] [-- PATH ...]`: REV against the work tree, or REV against REV;
    the PATHs, or every .ush file that differs between them."""
    root = Path(git(["rev-parse", "--show-toplevel"]).rstrip("\n"))  # not in a repository: git says so
    revs, paths = _revisions(words)
    paths += after_dashes
    prefix = git(["rev-parse", "--show-prefix"]).rstrip("\n")
    if paths:
        inside = [_inside(prefix, p) for p in paths]
    else:
        listed = git(["diff", "--name-only", "-z", "--no-renames", *[c for _, c in revs], "--", "*.ush"])
        inside = [p for p in listed.split("\0") if p]
    pairs = []
    for path in inside:
        old = _at(revs[0], path)
        new = _at(revs[1], path) if len(revs) == 2 else _work_tree(root, path)
        if old.text is None and new.text is None:
            where = revs[1][0] if len(revs) == 2 else "the work tree"
            _refuse(f"{path} is in neither {revs[0][0]} nor {where}", "name a model file of the repository, "
                    "from the current folder")
        pairs.append(Pair(path, old, new))
    return pairs


def _revisions(words: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """[(rev as written, its commit)] and the paths after them. The second word is a revision
    or a path; one that is both is refused, as git refuses it."""
    first = commit(words[0])
    if first is None:
        _refuse(f"`{words[0]}` is not a commit of this repository", "e.g. unitsheet diff --git HEAD~1 models/x.ush")
    revs = [(words[0], first)]
    rest = words[1:]
    if rest:
        second, is_path = commit(rest[0]), Path(rest[0]).exists()
        if second and is_path:
            _refuse(f"`{rest[0]}` is both a revision and a file", f"write `--git {words[0]} {rest[0]} --` for "
                    f"the revision, or `--git {words[0]} -- {rest[0]}` for the file")
        if second:
            revs.append((rest[0], second))
            rest = rest[1:]
    return revs, rest


def _inside(prefix: str, path: str) -> str:
    """A path as written (from the current folder) -> from the repository's top."""
    inside = posixpath.normpath(posixpath.join(prefix, Path(path).as_posix()))
    if inside.startswith("../") or inside == ".." or posixpath.isabs(inside):
        _refuse(f"{path} is outside the repository")
    return inside


def _at(rev: tuple[str, str], path: str) -> Version:
    label = f"{rev[0]}:{path}"
    spec = f"{rev[1]}:{path}"
    exists = subprocess.run(["git", "cat-file", "-e", spec], capture_output=True, check=False).returncode == 0
    if not exists:
        return Version(label, None)
    return Version(label, _decoded(subprocess.run(["git", "cat-file", "blob", spec], capture_output=True,
                                                  check=True).stdout, label))


def _work_tree(root: Path, path: str) -> Version:
    file = root / path
    if not file.exists():
        return Version(path, None)
    return Version(path, _decoded(file.read_bytes(), path))


EXTERNAL_ARGS = (7, 9)  # a path's two versions; a renamed path's, with its new path and git's message
UNMERGED = "GIT_DIFF_PATH_TOTAL"  # set by git for an external diff: a lone argument is then an unmerged path


def external(words: list[str], environ) -> bool:
    """git's call of an external diff: seven or nine arguments, or one (an unmerged path) when
    git's own variable says git is calling."""
    return len(words) in EXTERNAL_ARGS or (len(words) == 1 and UNMERGED in environ)


def from_external(words: list[str]) -> Pair | None:
    """The two versions of git's call: path old-file old-hex old-mode new-file new-hex new-mode
    [new-path message]; None for an unmerged path (one argument), which has no two versions."""
    if len(words) == 1:
        return None
    path, old_file, _, _, new_file, _, _ = words[:7]  # the hexes and modes say nothing the texts do not
    new_path = words[7] if len(words) == 9 else path
    return Pair(new_path, read_file(old_file, f"a/{path}"), read_file(new_file, f"b/{new_path}"))


def read_file(name: str, label: str) -> Version:
    if name == NULL:
        return Version(label, None)
    try:
        return Version(label, _decoded(Path(name).read_bytes(), label))
    except OSError as err:
        _refuse(f"cannot read {name}: {err.strerror or err}")


def _decoded(raw: bytes, label: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ModelError([Diagnostic("encoding", f"{label}: the file is not valid UTF-8 (offset {err.start})",
                                     None, hint="save the model as UTF-8")]) from None
