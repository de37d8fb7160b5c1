"""`unitsheet diff`: which versions to compare (two files, git's external-diff call, `--git`),
the comparison (engine/diff_numbers.py), its output, and the exit code: 0 no number moved, 1
some did (or a check flipped), 2 a version does not compile or the usage is wrong. Called by git
as an external diff it exits 0 whatever it found: git stops at an external diff's failure.
--format html is one page of one comparison (exports/html_diff.py): --git with several changed
models is refused (name one PATH), and where there is no page to draw (a side with errors, a model
added or removed) nothing is written and the reason goes to stderr.
"""

from __future__ import annotations

import os
import sys

from . import diff_git
from .diagnostics import ModelError, render_all
from .terminal import json_text

EXIT_OK, EXIT_MOVED, EXIT_INVALID = 0, 1, 2
USAGE = ("diff compares OLD.ush NEW.ush; or --git REV [REV] [PATH ...]; or --textconv FILE; "
         "or git's seven (or nine) arguments of an external diff")


class DiffUsage(Exception):
    pass


def command(args) -> int:
    """The report on stdout, or written whole to -o's file (engine/files.py)."""
    import io

    report = io.StringIO()
    code = run(args, report)
    if args.output and (args.format != "html" or report.getvalue()):  # html: no page, no file
        from .files import write_bytes

        inputs = [f for f in (*args.files, args.textconv) if f]  # never written over
        write_bytes(args.output, report.getvalue().encode("utf-8"), inputs=inputs)
    else:
        sys.stdout.write(report.getvalue())
    return code


def run(args, out) -> int:
    """The command; `out` is where its report goes (stdout, or what -o names)."""
    fmt = args.format
    if args.textconv is not None:
        if args.files or args.git is not None:
            raise DiffUsage("--textconv FILE prints one model: no other file, no --git")
        for flag, given in (("--scenario", args.scenario), ("--threshold", args.threshold),
                            (f"--format {fmt}", fmt != "text")):
            if given:
                raise DiffUsage(f"--textconv prints the model's text with its base values: {flag} has no meaning there")
        from .diff_textconv import annotated

        version = diff_git.read_file(args.textconv, args.textconv)
        out.write(annotated(version.text, args.textconv))
        return EXIT_OK
    external = args.git is None and diff_git.external(args.files, os.environ)
    if args.git is not None:
        pairs = diff_git.from_repository(args.git, list(args.files))
    elif external:
        pair = diff_git.from_external(args.files)
        if pair is None:
            out.write(f"{args.files[0]}: unmerged (a conflict to resolve first): not compared\n")
            return EXIT_OK
        pairs = [pair]
    elif len(args.files) == 2:
        pairs = [_files(*args.files)]
    else:
        raise DiffUsage(f"{USAGE} (got {len(args.files)} file{'s' if len(args.files) != 1 else ''})")
    if fmt == "html" and len(pairs) > 1:
        raise DiffUsage(f"--format html draws one page of one comparison and {len(pairs)} models changed: "
                        "name one (diff --git REV [REV] PATH --format html)")
    codes, reports = [], []
    for pair in pairs:
        code, report = _pair(pair, args)
        codes.append(code)
        reports.append(report)
    if fmt == "json":
        body = reports[0] if args.git is None else {"files": reports}
        out.write(json_text(body, indent=2) + "\n")
    elif fmt == "html":
        _html(reports[0] if reports else "no model differs: no page\n", out)
    else:
        out.write("\n".join(r for r in reports if r))
    return EXIT_OK if external else max(codes, default=EXIT_OK)


def _html(report, out) -> None:
    """The page of a Diff; a note (errors, a model added or removed) goes to stderr, and no page."""
    if isinstance(report, str):
        sys.stderr.write(report)
        return
    from ..exports.html_diff import diff_page

    out.write(diff_page(report))


def _files(old: str, new: str) -> diff_git.Pair:
    return diff_git.Pair(new, diff_git.read_file(old, old), diff_git.read_file(new, new))


def _pair(pair: diff_git.Pair, args) -> tuple[int, object]:
    """(exit code, report: the text, or the JSON data) of one pair of versions."""
    from .diff_numbers import SideError, compare

    json = args.format == "json"
    if pair.old.text is None or pair.new.text is None:
        what = "added" if pair.old.text is None else "removed"
        note = f"{pair.path}: the model was {what} (nothing to compare)\n"
        return EXIT_MOVED, {"path": pair.path, "status": what, "diff": None} if json else note
    try:
        old, new = _loaded("old", pair.old), _loaded("new", pair.new)
        result = compare(old, new, args.scenario, args.threshold)
    except SideError as err:
        side = pair.old.label if err.side == "old" else pair.new.label
        if not json:  # the JSON errors name their file
            print(f"{side}: this version does not compile; its errors:", file=sys.stderr)
        print(render_all(err.error, args.format), file=sys.stderr)
        note = f"{pair.path}: not compared, {side} has errors (on stderr)\n"
        return EXIT_INVALID, {"path": pair.path, "status": "errors", "side": err.side, "diff": None} if json else note
    code = EXIT_MOVED if result.moved else EXIT_OK
    if args.format == "html":
        return code, result
    if json:
        data = result.to_dict()
        return code, data if args.git is None else {"path": pair.path, "status": "compared", "diff": data}
    return code, str(result)


def _loaded(side: str, version: diff_git.Version):
    from .diff_numbers import SideError
    from .model import loads

    try:
        return loads(version.text, version.label)
    except ModelError as err:  # a syntax error: that side's, as a compile error is
        raise SideError(side, err) from None
