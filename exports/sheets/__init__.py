"""One module per sheet. Each has `write(book)`; those that hold quantities also `place(book)`,
which decides their rows before any formula is written (formulas refer across sheets)."""
