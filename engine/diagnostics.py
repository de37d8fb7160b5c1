"""Errors are values: a Diagnostic holds spans, labels and a hint; one renderer draws them.

Every pass reports problems by building Diagnostics, never by raising Python exceptions at
the user. A pass that finds errors raises ModelError carrying all of them at once, so that
several independent mistakes in one file are reported together.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A region of one source file. Lines and columns are 1-based; end_col is exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def contains(self, other: "Span") -> bool:
        return self.file == other.file and (self.line, self.col) <= (other.line, other.col) and \
            (other.end_line, other.end_col) <= (self.end_line, self.end_col)

    def cover(self, other: "Span") -> "Span":
        """The smallest span holding both (for compound nodes)."""
        start = min((self.line, self.col), (other.line, other.col))
        end = max((self.end_line, self.end_col), (other.end_line, other.end_col))
        return Span(self.file, start[0], start[1], end[0], end[1])


@dataclass(frozen=True)
class Label:
    span: Span
    text: str = ""


@dataclass(frozen=True)
class Diagnostic:
    kind: str  # a short stable code, e.g. "unit-mismatch"; used by tests and --format json
    message: str
    span: Span | None
    labels: tuple[Label, ...] = ()
    hint: str | None = None
    notes: tuple[str, ...] = ()
    severity: str = "error"
    scenario: str | None = None  # the scenario that causes it (None: the model itself)


def source_lines(text: str) -> list[str]:
    """The lines of a model as the parser and the editor's protocol count them: split at `\n`
    only (str.splitlines also splits at U+2028, U+0085 and form feeds, which a comment or a
    note may hold: every line after one would be off by one), a `\r` before it dropped."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


class ModelError(Exception):
    """Raised by a pass when the model is invalid; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, str] | None = None):
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = list(diagnostics)
        self.sources = dict(sources or {})


@dataclass
class Reporter:
    """Collects diagnostics during one pass."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    # A dimensioned model is checked item by item from the same text: one error per place in
    # the text is enough (engine/dimensions.py).
    once_per_span: bool = False
    # Not errors: the model is valid and runs (a `circular` clause on a quantity in no loop).
    warnings: list[Diagnostic] = field(default_factory=list)

    def warning(self, kind: str, message: str, span: Span | None, *labels: Label,
                hint: str | None = None, notes: tuple[str, ...] = (), severity: str = "warning") -> None:
        """A warning, or (severity "note") a suggestion only `check` shows."""
        self.warnings.append(Diagnostic(kind, message, span, tuple(labels), hint, notes, severity=severity))

    def error(self, kind: str, message: str, span: Span | None, *labels: Label,
              hint: str | None = None, notes: tuple[str, ...] = ()) -> None:
        self.diagnostics.append(Diagnostic(kind, message, span, tuple(labels), hint, notes))

    def raise_if_any(self, sources: dict[str, str] | None = None) -> None:
        if self.diagnostics:
            raise ModelError(once_per_place(self.diagnostics) if self.once_per_span else self.diagnostics, sources)


def once_per_place(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The first error of each kind at each place in the text (items checked from one line)."""
    seen, out = set(), []
    for d in diagnostics:
        key = (d.kind, d.span)
        if d.span is None or key not in seen:
            seen.add(key)
            out.append(d)
    return out


# ---------------------------------------------------------------------------- rendering


def render_text(diag: Diagnostic, sources: dict[str, str]) -> str:
    """file:line:col: error: message, then the source line(s) with carets under each label."""
    message = f"in scenario `{diag.scenario}`: {diag.message}" if diag.scenario else diag.message
    if diag.span is None:
        head = f"{diag.severity}: {message}"
        lines = [head]
    else:
        s = diag.span
        lines = [f"{s.file}:{s.line}:{s.col}: {diag.severity}: {message}"]
        text = sources.get(s.file)
        labels = list(diag.labels) or [Label(s, "")]
        if text is not None:
            lines.extend(_excerpt(source_lines(text), labels))
    for note in diag.notes:
        lines.append(f"   = note: {note}")
    if diag.hint:
        lines.append(f"   = hint: {diag.hint}")
    return "\n".join(lines)


def _excerpt(source_lines: list[str], labels: list[Label]) -> list[str]:
    by_line: dict[int, list[Label]] = {}
    for label in labels:
        by_line.setdefault(label.span.line, []).append(label)
    width = len(str(max(by_line)))
    out = [" " * width + " |"]
    for line_no in sorted(by_line):
        if not 1 <= line_no <= len(source_lines):
            continue
        marks = sorted(by_line[line_no], key=lambda lab: lab.span.col)
        raw, marks = _window(source_lines[line_no - 1].replace("\t", " "), marks, line_no)
        out.append(f"{line_no:>{width}} | {raw}")
        carets = [" "] * (len(raw) + 1)
        for lab in marks:
            end = lab.span.end_col if lab.span.end_line == line_no else len(raw) + 1
            for c in range(lab.span.col, max(end, lab.span.col + 1)):
                if c - 1 < len(carets):
                    carets[c - 1] = "^"
                else:
                    carets.append("^")
        out.append(" " * width + " | " + "".join(carets).rstrip())
        # Label texts go under their carets; several share a line when they do not overlap.
        pending = [lab for lab in marks if lab.text]
        while pending:
            row, end, rest = "", 0, []
            for lab in pending:
                start = lab.span.col - 1
                if start >= end + (1 if row else 0):
                    row += " " * (start - len(row)) + lab.text
                    end = len(row)
                else:
                    rest.append(lab)
            out.append(" " * width + " | " + row)
            pending = rest
    return out


MAX_SHOWN = 150  # columns of a source line shown under an error


def _window(raw: str, marks: list[Label], line_no: int) -> tuple[str, list[Label]]:
    """A long source line is shown as the part around its first label, with `…` for the rest;
    the labels' columns are moved to match."""
    if len(raw) <= MAX_SHOWN:
        return raw, marks
    first = marks[0].span.col - 1
    start = 0 if first < MAX_SHOWN - 40 else first - 20
    shown = ("…" if start else "") + raw[start:start + MAX_SHOWN] + ("…" if start + MAX_SHOWN < len(raw) else "")
    shift = start - (1 if start else 0)
    limit = len(shown)
    moved = []
    for lab in marks:
        col = max(1, lab.span.col - shift)
        end = lab.span.end_col - shift if lab.span.end_line == line_no else limit + 1
        end = min(max(end, col + 1), limit + 1)
        if col <= limit:
            moved.append(Label(Span(lab.span.file, line_no, col, line_no, end), lab.text))
    return shown, moved or marks[:0]


def to_json(diag: Diagnostic) -> dict:
    out: dict = {"severity": diag.severity, "kind": diag.kind, "message": diag.message}
    if diag.scenario:
        out["scenario"] = diag.scenario
    if diag.span is not None:
        s = diag.span
        out.update(file=s.file, line=s.line, column=s.col, end_line=s.end_line, end_column=s.end_col)
    out["labels"] = [
        {"line": lab.span.line, "column": lab.span.col, "end_line": lab.span.end_line,
         "end_column": lab.span.end_col, "text": lab.text} for lab in diag.labels
    ]
    out["hint"] = diag.hint
    out["notes"] = list(diag.notes)
    return out


def render_all(error: ModelError, fmt: str = "text") -> str:
    if fmt == "json":
        from .terminal import json_text

        return json_text({"errors": [to_json(d) for d in error.diagnostics]}, indent=2)
    parts = [render_text(d, error.sources) for d in error.diagnostics]
    count = len(error.diagnostics)
    parts.append(f"{count} error{'s' if count != 1 else ''} found")
    return "\n\n".join(parts)


def did_you_mean(name: str, candidates) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
