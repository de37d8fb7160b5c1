"""python -m unitsheet: the command line, as the `unitsheet` script runs it."""
from .engine.cli import console

console()
