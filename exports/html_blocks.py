"""The HTML page's building blocks, from plain data: an escaped table, a check's badge, a
source's link, the page around them. The model page (exports/html.py), a notebook's tables
(Results._repr_html_) and a diff's page are made of these.

Everything a model wrote (titles, names, notes, sources, check messages) is untrusted: every
text goes through html.escape, and only what this package built itself is passed on as Markup.
The page also forbids every script in its Content-Security-Policy, so a slip here shows text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit


class Markup(str):
    """HTML this package built (a chart, a link, a badge): inserted as it is, never escaped again.
    Adding text to it escapes the text (as markupsafe's Markup does)."""

    def __add__(self, other) -> "Markup":
        return Markup(str.__add__(self, esc(other)))

    def __radd__(self, other) -> "Markup":
        return Markup(str.__add__(esc(other), self))


def esc(value) -> Markup:
    """Any value as HTML text: Markup as it is, anything else escaped (quotes too: safe in attributes)."""
    if isinstance(value, Markup):
        return value
    return Markup(escape("" if value is None else str(value), quote=True))


def tag(name: str, content="", cls: str = "", **attrs) -> Markup:
    """<name class=.. attr=..>content</name>, every attribute value and the content escaped.
    A keyword's underscores are dashes (data_name= is data-name=)."""
    pairs = ([("class", cls)] if cls else []) + [(k.replace("_", "-"), v) for k, v in attrs.items() if v is not None]
    opened = "".join(f' {k}="{esc(v)}"' for k, v in pairs)
    return Markup(f"<{name}{opened}>{esc(content)}</{name}>")


def join(parts: Iterable) -> Markup:
    return Markup("".join(esc(p) for p in parts))


@dataclass
class Row:
    """A table row: its cells (text, or Markup), a class (item, group, fail), a data-name."""

    cells: Sequence
    cls: str = ""
    name: str | None = None


def table(header: Sequence[str], rows: Iterable[Row | Sequence], numeric_from: int | None = None,
          cls: str = "", caption: str | None = None) -> Markup:
    """An escaped table. Columns from `numeric_from` on are numbers (right-aligned, tabular
    digits). A Row of one cell spans the table (a group's heading)."""
    head = tag("thead", tag("tr", join(tag("th", h) for h in header)))
    body = []
    for row in rows:
        row = row if isinstance(row, Row) else Row(row)
        if len(row.cells) == 1 and len(header) > 1:
            cells = tag("th", row.cells[0], colspan=str(len(header)), scope="rowgroup")
        else:  # written out, not through tag(): a model by dimension has 10,000 rows of 40 cells
            split = len(row.cells) if numeric_from is None else numeric_from
            cells = Markup(f'<th scope="row">{esc(row.cells[0])}</th>'
                           + "".join(f"<td>{esc(c)}</td>" for c in row.cells[1:split])
                           + "".join(f'<td class="num">{esc(c)}</td>' for c in row.cells[max(split, 1):]))
        body.append(tag("tr", cells, cls=row.cls, data_name=row.name))
    inner = (tag("caption", caption) if caption else "") + head + tag("tbody", join(body))
    return Markup(f'<div class="scroll">{tag("table", inner, cls=cls)}</div>')


def check_badge(name: str, passed: bool, message: str = "") -> Markup:
    """A check as a line: green `ok`, or red `FAIL` with its message."""
    word, cls = ("ok", "ok") if passed else ("FAIL", "fail")
    text = name if passed or not message else f"{name}: {message}"
    return tag("li", join([tag("span", word, cls="badge"), " ", text]), cls=f"check {cls}", data_name=name)


def checks_list(checks: Sequence[dict]) -> Markup:
    """Checks as Results holds them ({"name", "passed", "message"}), with a count."""
    passed = sum(bool(c["passed"]) for c in checks)
    summary = tag("p", f"{passed}/{len(checks)} pass", cls="ok" if passed == len(checks) else "fail")
    return join([summary, tag("ul", join(check_badge(c["name"], c["passed"], c.get("message", "")) for c in checks),
                              cls="checks")])


def is_link(text: str) -> bool:
    """Only http(s) addresses become links: a javascript: or file: one stays text."""
    try:
        parts = urlsplit(text.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def source_link(file: str, date: str | None = None, quote: str | None = None) -> Markup:
    """A source as written (file, date, quote): the file a link when it is an http(s) address."""
    where = (tag("a", file, href=file.strip(), rel="noopener noreferrer", target="_blank")
             if is_link(file) else tag("span", file, cls="file"))
    parts = [where] + ([" ", tag("span", date, cls="date")] if date else [])
    parts += [" ", tag("q", quote)] if quote else []
    return tag("span", join(parts), cls="source")


# Scripts are forbidden outright: the page needs none, and a text that escaped escaping stays inert.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

# (selectors, declarations): a page styles its body; a notebook's fragment the div it sits in.
RULES = (
    ("body", 'font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;margin:1.5rem'),
    ("h1", "font-size:1.5rem;margin:0 0 .25rem"), ("h2", "font-size:1.15rem;margin:1.5rem 0 .5rem"),
    (".meta", "color:#59636e;margin:0"),
    (".scroll", "overflow-x:auto;max-width:100%"),
    ("table", "border-collapse:collapse;font-variant-numeric:tabular-nums"),
    ("th,td", "padding:2px 8px;border-bottom:1px solid #d1d9e0;text-align:left;vertical-align:middle"),
    ("th,td", "white-space:nowrap"), (".wrap", "display:block;white-space:normal;min-width:16rem;max-width:40rem"),
    ("th[scope=row]", "position:sticky;left:0;background:#fff"),
    ("thead th", "background:#f6f8fa"),
    ("td.num", "text-align:right"),
    ("tr.group th", "background:#f6f8fa;font-weight:600;position:sticky;left:0"),
    ("tr.item th", "padding-left:1.5rem;font-weight:normal"),
    ("ul.checks", "list-style:none;padding:0;margin:0"),
    ("li.check", "margin:2px 0"),
    (".badge", "display:inline-block;min-width:2.5rem;text-align:center;border-radius:4px;font-weight:600;"
               "padding:0 4px;color:#fff"),
    ("li.ok .badge", "background:#1a7f37"), ("li.fail .badge", "background:#cf222e"),
    ("li.fail", "background:#ffebe9"),
    ("p.ok", "color:#1a7f37"), ("p.fail", "color:#cf222e;font-weight:600"),
    (".source", "display:block"), (".source q,.date", "color:#59636e"),
    ("svg.spark", "display:block"),
    (".charts", "display:flex;flex-wrap:wrap;gap:1rem"), ("figure", "margin:0"),
    ("figcaption", "font-size:.85rem;max-width:360px"),
    # a diff's page (exports/html_diff.py): statements as written, a moved row's chart, the attribution's total
    ("pre", "margin:0;white-space:pre-wrap;font:12px/1.35 ui-monospace,SFMono-Regular,Menlo,monospace"),
    (".line", "display:block"), ("del", "color:#59636e"),
    ("figure.moved", "display:inline-block;vertical-align:middle;margin-left:1rem"),
    ("tr.total th,tr.total td", "font-weight:600;border-top:2px solid #1f2328"),
    ("caption", "text-align:left;font-weight:600;padding:4px 0"),
)


def style(scope: str = "") -> str:
    """The rules, each selector under `scope` (a notebook's div) when given."""
    def under(selectors: str) -> str:
        if not scope:
            return selectors
        return ",".join(scope if s == "body" else f"{scope} {s}" for s in selectors.split(","))
    return "".join(f"{under(selectors)}{{{rules}}}" for selectors, rules in RULES)


def fragment(body: Markup) -> Markup:
    """Part of someone else's page (a notebook's output): its own styles, scoped to it."""
    return Markup(f'<div class="unitsheet"><style>{style(".unitsheet")}</style>{body}</div>')


def page(title: str, body: Markup) -> Markup:
    """A whole page: one file, its style inline, nothing fetched."""
    return Markup("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
                  '<meta name="viewport" content="width=device-width, initial-scale=1">'
                  f"{tag('title', title)}<style>{style()}</style></head>\n<body>{body}</body></html>\n")
