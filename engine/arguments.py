"""The command line's arguments: the parser table (every command and option, in one place) and
the argument types (a seed, a count of samples or examples, a Dask scheduler address), each
with the message a wrong one gets. A usage error exits 2, as an invalid model does."""

from __future__ import annotations

import argparse
import sys

EXIT_INVALID = 2  # engine/cli.py's exit code for an invalid model or usage


def seed(text: str) -> int:
    """A Monte Carlo or search seed: a whole number from 0 to 2**63 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{value} is not a seed: use a whole number from 0 to 2**63 - 1")
    return value


def count(text: str) -> int:
    """A count of samples or examples: a positive whole number (10000, 10_000 or 1e4)."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (value == int(value) and value >= 1):
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return int(value)


SCHEDULER_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


def percentiles(text: str) -> tuple[float, ...]:
    """Percentiles, comma-separated: each above 0 and below 100 (1,5,50,95,99; 2.5,97.5)."""
    try:
        values = tuple(float(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of numbers: write 1,5,50,95,99") from None
    if not values or not all(0 < p < 100 for p in values):
        raise argparse.ArgumentTypeError(f"{text}: each percentile is above 0 and below 100")
    return values


def threshold(text: str) -> float:
    """diff's threshold: a share of the old value, as a fraction (0.001) or a percent (0.1%)."""
    body = text.strip()
    percent = body.endswith("%")
    try:
        value = float(body.removesuffix("%").strip().replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number: write 0.001 or 0.1%") from None
    value = value / 100 if percent else value
    if not (value >= 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"{text}: the threshold is 0 or more (0.001 or 0.1%)")
    return value


def scheduler(text: str) -> str:
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in SCHEDULER_SCHEMES or not rest:
        raise argparse.ArgumentTypeError(f"{text!r} is not a Dask scheduler address: write SCHEME://HOST:PORT "
                                         f"with SCHEME one of {', '.join(SCHEDULER_SCHEMES)}")
    return text


def _progress_flag(parser) -> None:
    """--no-progress, on the commands that can run long (engine/progress.py)."""
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (one is drawn on stderr only on a terminal, after half a second, "
                             "never with --format json or csv)")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 on usage errors too; keep its message short
        self.print_usage(sys.stderr)
        print(f"unitsheet: error: {message}", file=sys.stderr)
        sys.exit(EXIT_INVALID)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="unitsheet", description="Unit-checked financial models, as text.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="evaluate a model and print its quantities")
    run.add_argument("model")
    run.add_argument("--scenario", default="base")
    run.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                     help='override an input, e.g. --set "cost_per_gw=58 billion USD/GW" (repeatable)')
    run.add_argument("--format", choices=["table", "json", "csv", "html"], default="table",
                     help="html: one self-contained page (tables, a chart per series, checks, sources as links)")
    run.add_argument("-o", "--output", metavar="FILE.html", help="where --format html writes its page (else stdout)")
    run.add_argument("--sources", action="store_true", help="show each input's sources under it")
    run.add_argument("--only", nargs="+", metavar="NAME", help="show only these quantities")
    run.add_argument("--by", choices=["year", "quarter"],
                     help="roll a monthly or quarterly model up to years (or quarters): flows average, the rest "
                          "take the last period, `rollup` clauses decide otherwise")

    chk = sub.add_parser("check", help="compile the model and run its checks (every scenario by default)")
    chk.add_argument("model")
    chk.add_argument("--scenario", action="append", help="only this scenario (repeatable)")
    chk.add_argument("--format", choices=["text", "json"], default="text")
    chk.add_argument("--explore", type=count, metavar="N", default=0,
                     help="also search each uncertain input's range with Hypothesis, N examples per scenario")
    chk.add_argument("--seed", type=seed, default=0, help="seed of the --explore search (same seed, same result)")
    chk.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                     help="override an input, as run's --set (replays a counterexample --explore printed)")
    _progress_flag(chk)

    _what_if_parsers(sub)
    _simulate_parser(sub)

    sub.add_parser("lsp", help="the language server, over stdio, for editors (README, \"Editor\")")

    exp = sub.add_parser("explain", help="show how one quantity is computed, what it reads, and its values "
                                         "(without a name: list every quantity)")
    exp.add_argument("model")
    exp.add_argument("name", nargs="?")
    exp.add_argument("--scenario", default="base")
    exp.add_argument("--format", choices=["text", "json"], default="text")

    fmt = sub.add_parser("fmt", help="print the model in canonical form")
    fmt.add_argument("model")
    fmt.add_argument("--check", action="store_true", help="exit 1 if the file is not in canonical form")
    fmt.add_argument("--write", action="store_true", help="rewrite the file in place")
    fmt.add_argument("--format", choices=["text", "json"], default="text")

    _export_parser(sub)
    _diff_parser(sub)

    plot = sub.add_parser("plot", help="draw series over the timeline to a PNG")
    plot.add_argument("model")
    plot.add_argument("names", nargs="*", help="quantities to draw (or --chart)")
    plot.add_argument("--chart", metavar="TITLE", help="draw a chart the model declares (chart \"TITLE\": ...)")
    plot.add_argument("--scenario", action="append", help="one line per scenario (repeatable)")
    plot.add_argument("-o", "--output", required=True)
    plot.add_argument("--title")
    plot.add_argument("--format", choices=["text", "json"], default="text")
    _data_flags(sub)
    return parser


def _diff_parser(sub) -> None:
    """diff: two versions of a model (files, git's external-diff call, or revisions), or one as
    git's textconv shows it (engine/diff_command.py)."""
    dif = sub.add_parser("diff", help="what changed between two versions of a model, which numbers it moved, and why")
    dif.add_argument("files", nargs="*", metavar="FILE",
                     help="OLD.ush NEW.ush, or the seven (nine for a renamed file) arguments git gives "
                          "an external diff")
    dif.add_argument("--scenario", action="append", help="only this scenario (repeatable; default: every one in both)")
    dif.add_argument("--format", choices=["text", "json", "html"], default="text",
                     help="html: one self-contained page (exports/html_diff.py; one comparison)")
    dif.add_argument("--threshold", type=threshold, default=0.0, metavar="X",
                     help="a period moved when |new - old| > X x |old| (0.001 or 0.1%%; default 0: any change)")
    dif.add_argument("-o", "--output", metavar="FILE", help="write the report here instead of stdout")
    dif.add_argument("--textconv", metavar="FILE", help="print FILE in canonical form with its base values as "
                     "comments (git's textconv: README, \"Reviewing a change\")")
    dif.add_argument("--git", nargs="+", metavar="REV", help="REV [REV] [PATH ...]: compare REV with the work tree, "
                     "or two revisions, reading the models from the repository (every changed .ush without PATH)")


def _data_flags(sub) -> None:
    """--data and --data-dir on every command that evaluates a model (all but fmt): a data input
    behaves the same in each (docs/language.md, "Data")."""
    for name, command in sub.choices.items():
        if name != "fmt" and any(action.dest == "model" for action in command._actions):
            command.add_argument("--data", action="append", default=[], metavar="TABLE=URL", type=data_binding,
                                 help="the database a `sql` data statement reads, e.g. --data "
                                      "ledger=postgresql://user@host/db (repeatable; or UNITSHEET_DATA_LEDGER)")
            command.add_argument("--data-dir", action="append", default=[], metavar="DIR",
                                 help="a folder besides the model's own that its data files may be in (repeatable)")


def data_binding(text: str) -> tuple[str, str]:
    """TABLE=URL. The text is never repeated in an error: it may hold a password (CI logs keep it)."""
    name, sep, url = text.partition("=")
    if not sep or not name.strip().isidentifier() or not url.strip():
        raise argparse.ArgumentTypeError("write TABLE=URL, the data statement's name then the database, e.g. "
                                         "ledger=sqlite:///ledger.db")
    return name.strip(), url.strip()


def _simulate_parser(sub) -> None:
    """simulate: the Monte Carlo, where its chunks run, and what it reports or writes of its samples."""
    sim = sub.add_parser("simulate", help="Monte Carlo over the uncertain inputs: percentiles and check probabilities")
    sim.add_argument("model")
    sim.add_argument("-n", "--samples", type=count, default=10_000)
    sim.add_argument("--seed", type=seed, default=0)
    sim.add_argument("--scenario", default="base")
    sim.add_argument("--format", choices=["table", "json"], default="table")
    sim.add_argument("--backend", choices=["numpy", "dask"], default="numpy",
                     help="where the chunks of samples run: this process, or a Dask cluster (same numbers)")
    sim.add_argument("--scheduler", metavar="ADDRESS", type=scheduler,
                     help="with --backend dask: an existing scheduler (tcp://host:8786); default: a local cluster")
    sim.add_argument("--drop-failed", action="store_true",
                     help="leave out (and count) the samples that give inf or NaN where the base case has a "
                          "number, instead of stopping at the first")
    sim.add_argument("--percentiles", type=percentiles, default=(5.0, 50.0, 95.0), metavar="P,P,...",
                     help="the percentiles to report, e.g. 1,5,50,95,99 (default 5,50,95)")
    sim.add_argument("--samples-out", metavar="FILE.csv|FILE.parquet",
                     help="every sample's uncertain inputs and the --outputs, written as the chunks run")
    sim.add_argument("--outputs", nargs="+", default=[], metavar="NAME[PERIOD]", help="the outputs --samples-out writes")
    sim.add_argument("--hist", metavar="OUTPUT[PERIOD]", help="draw the distribution of one output (with -o)")
    sim.add_argument("-o", "--output", metavar="HIST.png", help="where --hist draws")
    _progress_flag(sim)


def _export_parser(sub) -> None:
    """export: the workbook, and what it may hold besides the model (a simulation, a goal seek's
    value, a tornado, a data table: exports/sheets/simulation.py, whatif.py)."""
    export = sub.add_parser("export", help="write a live Excel workbook")
    export.add_argument("model")
    export.add_argument("-o", "--output", required=True)
    export.add_argument("--scenario", default="base", help="the scenario selected when the workbook opens")
    export.add_argument("--format", choices=["text", "json"], default="text")
    export.add_argument("--simulate", type=count, metavar="N", default=0,
                        help="add a Simulation sheet with percentiles from N Monte Carlo samples")
    export.add_argument("--seed", type=seed, default=0)
    export.add_argument("--solve", metavar="TARGET", help='write the value of --solve-for that makes TARGET hold '
                        '("equity_irr = 12 %%") into its cell, with a live row on Checks')
    export.add_argument("--solve-for", metavar="INPUT", help="the single-value input --solve varies")
    export.add_argument("--between", metavar="LO..HI", help="--solve's bracket (else the input's range or automatic)")
    export.add_argument("--sensitivity", metavar="OUTPUT", help="add a Sensitivity sheet: the tornado of OUTPUT[PERIOD]")
    export.add_argument("--sensitivity-inputs", nargs="+", metavar="INPUT",
                        help="the inputs of --sensitivity (default: every input with a range), a plain one moved -+10 %%")
    export.add_argument("--table", metavar="OUTPUT", help="add a Data table sheet of OUTPUT[PERIOD] over --table-vary")
    export.add_argument("--table-vary", action="append", metavar="INPUT=LO..HI:N", default=[],
                        help="an axis of --table (once or twice)")
    _progress_flag(export)


def _what_if_parsers(sub) -> None:
    """solve, sensitivity and table: the questions asked of one output (engine/solve.py, sensitivity.py,
    datatable.py), each variant a row of one evaluation."""
    slv = sub.add_parser("solve", help="goal seek: the values of one input at which a quantity reaches a target")
    slv.add_argument("model")
    slv.add_argument("--target", required=True, metavar="QUANTITY=VALUE",
                     help='e.g. --target "equity_irr = 10 %%" or "cash[2029-12] = 0 USD"')
    slv.add_argument("--vary", required=True, metavar="INPUT", help="a single-value input, or one period of one")
    slv.add_argument("--between", metavar="LOW..HIGH", help='where to search, e.g. "40 USD/MWh..120 USD/MWh"')
    slv.add_argument("--scenario", action="append", help="in this scenario (repeatable; default base)")
    slv.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override an input first")
    slv.add_argument("--format", choices=["table", "json"], default="table")
    _progress_flag(slv)

    sen = sub.add_parser("sensitivity", help="a tornado: one output with each input alone at its range's ends")
    sen.add_argument("model")
    sen.add_argument("output", help="a quantity, at one period if it is a series: npv, cash[2029-12]")
    sen.add_argument("--inputs", nargs="+", metavar="INPUT", help="these inputs (default: every input with a range)")
    sen.add_argument("--percent", type=float, default=10.0, help="-+ this share of the base for an input without a range")
    sen.add_argument("--scenario", default="base")
    sen.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override an input first")
    sen.add_argument("-o", "--output", dest="png", metavar="TORNADO.png", help="also draw the tornado")
    sen.add_argument("--format", choices=["table", "json", "csv"], default="table")

    tab = sub.add_parser("table", help="a data table: one output over a grid of one or two inputs' values")
    tab.add_argument("model")
    tab.add_argument("output", help="a quantity, at one period if it is a series: npv, cash[2029-12]")
    tab.add_argument("--vary", action="append", required=True, metavar="INPUT=LOW..HIGH:N",
                     help='e.g. --vary "tariff=40 USD/MWh..120 USD/MWh:9" (once or twice)')
    tab.add_argument("--scenario", default="base")
    tab.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override an input first")
    tab.add_argument("--format", choices=["table", "json", "csv"], default="table")
    _progress_flag(tab)
