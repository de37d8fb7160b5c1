"""Text the model's author wrote (check names, titles, sources, notes, the source lines shown
under an error) reaches a terminal: control characters in it could clear a line, recolour it,
hide a failing check or write to the clipboard (OSC 52). Every text output is escaped here:
control characters (C0 but newline and tab, DEL, C1) and the bidirectional overrides of
"Trojan source" become visible escapes such as \\x1b or \\u202e. JSON is escaped by its encoder;
json_text() adds the C1 and bidi characters, which json.dumps leaves as they are.
"""

from __future__ import annotations

import json
import re

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    return _CONTROLS.sub(_visible, text)


def json_text(data, **kwargs) -> str:
    """JSON for a terminal or a file: no NaN or Infinity (not JSON), no raw control characters."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, **kwargs)
    return _CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class EscapingStream:
    """A text stream that escapes control characters in everything written through it."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(escape_controls(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)
