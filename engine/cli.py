"""The `unitsheet` command line. Exit codes: 0 ok, 1 a check failed, 2 invalid model or usage."""

from __future__ import annotations

import os
import shlex
import sys
from contextlib import nullcontext

from . import terminate
from .arguments import EXIT_INVALID, build_parser
from .terminal import EscapingStream, json_text

EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # EXIT_INVALID, 2: engine/arguments.py (argparse's usage errors exit with it too)


class UsageError(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    # Whatever the model's author wrote reaches the terminal escaped (engine/terminal.py).
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingStream(stdout), EscapingStream(stderr)
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as done:  # argparse: --help (0) or a usage error (2), already printed
            return done.code if isinstance(done.code, int) else EXIT_INVALID
        from . import gcpause

        gcpause.FREEZE_AFTER_COMPILE = argv is None  # a process of our own (not a test calling main)
        if argv is None:
            terminate.install()
        return _run(args, "json" if getattr(args, "format", "text") == "json" else "text")
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _run(args, fmt: str) -> int:
    _LOADED.clear()
    try:
        code = COMMANDS[args.command](args)
        _warn(fmt, notes=args.command == "check")
        return code
    except BaseException:
        if terminate.arrived():  # a library may turn the Terminated it caught into an error of its own (Hypothesis)
            return 143
        return _failed(fmt)


def _failed(fmt: str) -> int:
    """The exit code of the exception being handled, with its message."""
    from .diagnostics import ModelError, render_all

    try:
        raise
    except ModelError as err:
        print(render_all(err, fmt), file=sys.stderr)
        return EXIT_INVALID
    except UsageError as err:
        _error(str(err), fmt)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except terminate.Terminated:
        return 143
    except RecursionError:
        _error("the model is nested too deeply to process", fmt)
        return EXIT_INVALID
    except BrokenPipeError:
        return EXIT_OK
    except Exception as err:  # a bug in unitsheet: say so plainly, never a traceback
        _error(f"internal error ({type(err).__name__}: {err}); please report it with the model file", fmt)
        return EXIT_INVALID


def console() -> None:
    """The `unitsheet` command. Exits without tearing down the interpreter: freeing a compiled
    10,000-quantity model object by object takes half a second, and every file this process
    wrote is already closed (outputs are written atomically)."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code)


def _error(message: str, fmt: str):
    if fmt == "json":
        print(json_text({"errors": [{"severity": "error", "kind": "usage", "message": message}]}), file=sys.stderr)
    else:
        print(f"unitsheet: error: {message}", file=sys.stderr)


_LOADED: list = []  # the models this command loaded: their warnings are printed when it ends


def _load(args):
    from .model import load

    model = load(args.model, data=dict(getattr(args, "data", ())), data_dirs=getattr(args, "data_dir", ()))
    _LOADED.append(model)
    return model


def _warn(fmt: str, notes: bool = False) -> None:
    """The checker's warnings (a valid model, probably not what was meant), after the output;
    notes too (suggestions: a loop with a closed form) for `check`."""
    from .diagnostics import render_text, to_json

    models, _LOADED[:] = list(_LOADED), []
    for model in models:
        if model._checked is None:  # fmt: never checked, nothing to warn of
            continue
        found = [d for d in model.warnings() if notes or d.severity == "warning"]
        if not found:
            continue
        if fmt == "json":
            print(json_text({"warnings": [to_json(d) for d in found]}, indent=2), file=sys.stderr)
        else:
            print("\n\n".join(render_text(d, {model.file: model.text}) for d in found), file=sys.stderr)


def _overrides(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set takes NAME=VALUE, got {pair!r}")
        out[name.strip()] = value.strip()
    return out


def _quantity_names(model, names: list[str]) -> list[str]:
    """The rows these names stand for: a dimensioned quantity's items (`revenue` is
    revenue[na, chat], ...), an item row as written (`revenue[na,chat]`), or a quantity."""
    dims = model.dimensions
    out = []
    for name in names:
        from .ir import row_name

        row = row_name(name)
        if row in model.quantities:
            out.append(row)
        elif name in dims.of:
            out.extend(dims.names(name))
        else:
            from .diagnostics import did_you_mean
            hint = did_you_mean(name, list(model.quantities) + list(dims.of))
            raise UsageError(f"no quantity named `{name}`" + (f"; {hint}" if hint else ""))
    return out



def cmd_run(args) -> int:
    from . import report, rollup

    model = _load(args)
    timeline = model.checked("base").timeline
    as_is = args.by and ir_per_year(rollup.BY[args.by]) == timeline.per_year  # --by year of a yearly model
    if args.by and not as_is:
        try:
            rollup.grouping(timeline, args.by)
        except ValueError as err:
            coarser = [b for b in rollup.BY if ir_per_year(rollup.BY[b]) < timeline.per_year]
            raise UsageError(f"{err}" + (f"; try --by {coarser[0]}" if coarser else "")) from None
    if args.output and args.format != "html":
        raise UsageError(f"-o/--output is where --format html writes its page; --format {args.format} prints")
    if args.output:
        from .files import check_output

        check_output(args.output, [model.file])  # a bad path is a usage error before any work
    results = model.run(args.scenario, _overrides(args.set))
    if args.by and not as_is:
        results = rollup.roll_up(results, args.by)
    names = _quantity_names(results.model, args.only) if args.only else None
    if args.format == "json":
        data = results.to_dict()
        if args.by:
            data["rollup"] = {"by": args.by, "rules": rollup.rules(results.model)}
        if names:
            wanted = dict.fromkeys(results.model.dimensions.quantity_of(n) for n in names)
            data["quantities"] = {n: data["quantities"][n] for n in wanted}
        print(json_text(data, indent=2))
    elif args.format == "csv":
        sys.stdout.write(report.to_csv(results, names))
    elif args.format == "html":
        from ..exports.html import write_page

        write_page(results, names, args.output, model.file)
    else:
        sys.stdout.write(report.table(results, names, sources=args.sources))
        tl = results.model.timeline
        if as_is:
            print(f"(the timeline is {tl.frequency}: --by {args.by} shows it as it is)")
        elif args.by:
            for note in rollup.stub_notes(timeline, args.by):
                print(note)
        if not args.by and tl.per_year > 1 and any(q.series for q in results.model.quantities.values()):
            coarser = " or --by quarter" if tl.per_year == 12 else ""
            print(f"({len(tl)} {tl.kind}s: --by year{coarser} rolls them up)")
    return EXIT_OK if results.passed else EXIT_CHECK_FAILED


def _bar(args, what: str, unit: str):
    """A progress bar on stderr for a long command, when one helps (engine/progress.py); its
    callback, None when none is drawn. Ended before the command prints its output."""
    from . import progress

    return progress.bar(what, unit, progress.wanted(args.format, args.no_progress))


def cmd_solve(args) -> int:
    model = _load(args)
    with _bar(args, "solve", "variants") as tick:
        solutions = [model.solve(args.target, args.vary, args.between, scenario, _overrides(args.set), tick)
                     for scenario in args.scenario or ["base"]]
    if args.format == "json":
        print(json_text({"solutions": [s.to_dict() for s in solutions]}, indent=2))
    else:
        print("\n".join(str(s) for s in solutions))
    return EXIT_OK


def cmd_sensitivity(args) -> int:
    from . import report
    from .sensitivity import tornado

    model = _load(args)
    result = model.sensitivity(args.output, args.inputs, args.percent, args.scenario, _overrides(args.set))
    if args.png:
        tornado(result, args.png, model.file)
    if args.format == "json":
        print(json_text(result.to_dict(), indent=2))
    elif args.format == "csv":
        sys.stdout.write(report.csv_rows([["input", "how", "low", "high", "output_low", "output_high", "swing"]] +
                                         [[s.input, s.how, s.low, s.high, s.output_low, s.output_high, s.swing]
                                          for s in result.swings]))
    else:
        print(result)
    return EXIT_OK


def cmd_table(args) -> int:
    from . import report

    model = _load(args)
    with _bar(args, "table", "cells") as tick:
        table = model.table(args.output, args.vary, args.scenario, _overrides(args.set), tick)
    if args.format == "json":
        print(json_text(table.to_dict(), indent=2))
    elif args.format == "csv":
        sys.stdout.write(report.csv_rows(table.rows()))
    else:
        print(table)
    return EXIT_OK


def ir_per_year(frequency: str) -> int:
    from .ir import FREQUENCIES

    return FREQUENCIES[frequency][1]


def cmd_check(args) -> int:
    from .checking import check

    model = _load(args)
    with _bar(args, "check --explore", "steps") if args.explore else nullcontext() as tick:
        report = check(model, args.scenario, _overrides(args.set), args.explore, args.seed, args.model, tick)
    print(json_text(report.to_dict(), indent=2) if args.format == "json" else report)
    return EXIT_OK if report.passed else EXIT_CHECK_FAILED


def cmd_simulate(args) -> int:
    import numpy as np

    from .uncertainty import simulate, simulation_table

    if args.scheduler and args.backend != "dask":
        raise UsageError("--scheduler needs --backend dask")
    if bool(args.hist) != bool(args.output):
        raise UsageError("--hist OUTPUT[PERIOD] and -o HIST.png go together")
    with np.errstate(all="ignore"):  # numpy's warnings never reach the user: what fails is an error
        model = _load(args)
        hist = None
        if args.hist:
            from .solve import output_at

            hist = output_at(model.checked(args.scenario), args.hist, "output", "a histogram")
        options = dict(samples=args.samples, seed=args.seed, keep=[hist[0]] if hist else None, backend=args.backend,
                       scheduler=args.scheduler, drop_failed=args.drop_failed, percentiles=args.percentiles)
        if args.outputs and not args.samples_out:
            raise UsageError("--outputs names what --samples-out writes")
        with _bar(args, "simulate", "samples") as tick:
            if args.samples_out:
                from .samples_out import simulate_writing

                sim = simulate_writing(model, args.samples_out, args.outputs, args.scenario, progress=tick, **options)
            else:
                sim = simulate(model, scenario=args.scenario, progress=tick, **options)
    if hist:
        from .histogram import histogram

        histogram(sim, *hist, args.hist, args.output, model.file)
    if args.format == "json":
        print(json_text(sim.to_dict(), indent=2))
    else:
        sys.stdout.write(simulation_table(sim))
    return EXIT_OK


def cmd_explain(args) -> int:
    from .explain import explain, overview

    model = _load(args)
    text, data = explain(model, args.name, args.scenario) if args.name else overview(model, args.scenario)
    if args.format == "json":
        print(json_text(data, indent=2))
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_fmt(args) -> int:
    from .formatter import format_module

    model = _load(args)
    formatted = format_module(model.module)
    if args.check:
        if formatted != model.text:
            print(f"{args.model}: not in canonical form (run `unitsheet fmt --write {args.model}`)", file=sys.stderr)
            return EXIT_CHECK_FAILED
        return EXIT_OK
    if args.write:
        from .files import write_bytes

        write_bytes(args.model, formatted.encode("utf-8"))  # through a symlink to its file; its mode kept
        return EXIT_OK
    sys.stdout.write(formatted)
    return EXIT_OK


def cmd_export(args) -> int:
    try:
        from ..exports.xlsx import export_workbook
    except ImportError as err:
        raise UsageError(f"the Excel exporter is not available: {err}") from None
    model = _load(args)
    simulation = None
    if args.simulate:
        from .uncertainty import simulate

        with _bar(args, "simulate", "samples") as tick:
            simulation = simulate(model, args.simulate, args.seed, args.scenario, progress=tick)
    summary = export_workbook(model, args.output, scenario=args.scenario, simulation=simulation,
                              whatif=_export_whatif(args, model))
    if args.format == "json":
        print(json_text(summary, indent=2))
    else:
        print(f"wrote {args.output}: {summary['formula_cells']} formula cells, {summary['quantities']} quantities, "
              f"{summary['checks']} checks")
    return EXIT_OK


def _export_whatif(args, model):
    """export --solve/--sensitivity/--table: the results the sheets hold, each in the scenario the
    workbook opens on, the tornado and the table with the solved value as the workbook holds it,
    and the command that refreshes them."""
    from ..exports.xlsx import WhatIf

    for flag, needs, value in (("--solve", "--solve-for", args.solve_for), ("--solve-for", "--solve", args.solve),
                               ("--between", "--solve", args.solve), ("--table", "--table-vary", args.table_vary),
                               ("--table-vary", "--table", args.table),
                               ("--sensitivity-inputs", "--sensitivity", args.sensitivity)):
        if getattr(args, flag[2:].replace("-", "_")) and not value:
            raise UsageError(f"{flag} goes with {needs}")
    if args.solve and args.simulate:
        raise UsageError("--simulate with --solve: the samples would be drawn around the unsolved value; "
                         "export the simulation of the solved model by setting the input in the model")
    solution = sensitivity = table = None
    overrides = {}
    if args.solve:
        solution = model.solve(args.solve, args.solve_for, between=args.between, scenario=args.scenario)
        overrides = solution.as_override() if solution.roots else {}
    if args.sensitivity:
        sensitivity = model.sensitivity(args.sensitivity, args.sensitivity_inputs, scenario=args.scenario,
                                        overrides=overrides)
    if args.table:
        table = model.table(args.table, args.table_vary, scenario=args.scenario, overrides=overrides)
    return WhatIf(solution, sensitivity, table, "unitsheet " + " ".join(shlex.quote(a) for a in sys.argv[1:]))


def cmd_plot(args) -> int:
    from .plot import plot

    model = _load(args)
    names, title = args.names, args.title
    if args.chart is not None:
        charts = {c.title: c for c in model.checked().charts}
        if args.chart not in charts:
            from .diagnostics import did_you_mean

            raise UsageError(f"the model declares no chart titled {args.chart!r}; "
                             + (did_you_mean(args.chart, charts) or "charts: " + (", ".join(map(repr, charts)) or "none")))
        names, title = list(charts[args.chart].names) + names, title or args.chart
    if not names:
        raise UsageError("name the quantities to draw, or a declared chart with --chart TITLE")
    checked = model.checked()
    names = _quantity_names(checked, names) if checked.dimensions else names  # one line per item
    plot(model, names, args.scenario or ["base"], args.output, title)
    print(f"wrote {args.output}")
    return EXIT_OK


def cmd_diff(args) -> int:
    from .diff_command import DiffUsage, command

    try:
        return command(args)
    except DiffUsage as err:
        raise UsageError(str(err)) from None


def cmd_lsp(args) -> int:
    try:
        from .lsp import main as serve
    except ImportError as err:  # pygls is a dependency; a broken install says which module is missing
        raise UsageError(f"the language server needs pygls: {err}") from None
    return serve()


COMMANDS = {"run": cmd_run, "check": cmd_check, "solve": cmd_solve, "sensitivity": cmd_sensitivity, "table": cmd_table, "simulate": cmd_simulate, "explain": cmd_explain, "fmt": cmd_fmt, "export": cmd_export,
            "plot": cmd_plot, "lsp": cmd_lsp, "diff": cmd_diff}


if __name__ == "__main__":
    sys.exit(main())
