"""Constants: every number a formula uses other than 0 and 1: the unit factors (what they convert)
and the numbers written in the model, with the quantities that use each."""

from __future__ import annotations

from ..book import Book


def write(book: Book):
    ws = book.constants_ws
    book.text(ws, 0, 0, "Constants", book.f_title, widen=False)
    book.text(ws, 1, 0, "Every number the formulas use, other than 0 and 1: unit factors (what they convert) "
                        "and numbers written in the model.", widen=False)
    for c, text in enumerate(["#", "Meaning", "Value", "Used in"]):
        book.text(ws, 2, c, text, book.f_header)
    value_fmt = book.wb.add_format({"num_format": "General", "font_color": "#0000FF", "bg_color": "#FFFFE0"})
    for constant in book.layout.constants.values():
        r = constant.row
        ws.write_number(r, 0, r - 2)
        kind = "unit factor: " if constant.kind == "unit" else "number in the model: "
        book.text(ws, r, 1, kind + constant.label)
        ws.write_number(r, 2, constant.value, value_fmt)
        book.widen(ws, 2, len(f"{constant.value:.10g}"))
        users = constant.users
        book.text(ws, r, 3, users[0] + (f" and {len(users) - 1} more" if len(users) > 1 else ""))
    book.size_columns(ws, minimum=4, maximum=60)
    book.print_setup(ws, label_columns=2, header_row=2)
