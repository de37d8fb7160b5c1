"""Fuzz harness: every case must end in a result or a located diagnostic, within a time limit.

    python -m benchmarks.fuzz --cases 100000 --seed 1      (make fuzz)

Cases come from four generators, in turn: programs generated from the grammar (hypothesis'
from_lark), mutations of the real models (delete, duplicate, swap and insert tokens and lines),
random bytes (invalid UTF-8 included), and extremes (huge numbers, long names, deep nesting).
A crash is any exception other than ModelError; a hang is a case over --timeout seconds. Each
is saved under --out with its input, and the run ends with a JSON summary on the last line.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from unitsheet import engine  # noqa: E402
from unitsheet.engine.diagnostics import ModelError  # noqa: E402


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def run_case(data: bytes, timeout: float) -> str:
    """'ok', 'diagnostic', 'crash: ...' or 'hang'."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return "diagnostic"  # engine.load reports this; loads() takes text
        model = engine.loads(text, "fuzz.ush")
        for scenario in model.scenarios:
            model.run(scenario)
        return "ok"
    except ModelError as err:
        for d in err.diagnostics:
            if not d.message or (d.span is not None and (d.span.line < 1 or d.span.col < 1)):
                return "crash: diagnostic without a message or with a bad location"
        return "diagnostic"
    except _Timeout:
        return "hang"
    except RecursionError:
        return "crash: RecursionError"
    except Exception as err:  # the point of the harness
        return f"crash: {type(err).__name__}: {err}\n{traceback.format_exc(limit=6)}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


# ------------------------------------------------------------------------------ generators


def grammar_cases(count: int, seed: int):
    """Programs from the grammar, through hypothesis (derandomised from the seed)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis.extra.lark import from_lark
    from lark import Lark

    from unitsheet.engine.parser import grammar_text

    import hypothesis

    grammar = Lark(grammar_text(), parser="lalr", lexer="basic", maybe_placeholders=True)
    out: list[str] = []
    batch = 500  # Hypothesis slows down as one run's example tree grows: generate in batches

    for k in range(0, count, batch):
        @settings(max_examples=min(batch, count - k), database=None, deadline=None, derandomize=False,
                  suppress_health_check=list(HealthCheck))
        @given(from_lark(grammar, start="start"))
        def collect(text):
            out.append(text)

        hypothesis.seed(seed * 1_000_003 + k)(collect)()
    return [t.encode("utf-8", "surrogatepass") for t in out]


def mutation_cases(sources: list[str], count: int, rng: random.Random):
    for _ in range(count):
        source = rng.choice(sources)
        lines = source.splitlines(keepends=True)
        tokens = source.split(" ")
        kind = rng.randrange(8)
        if kind == 0:
            i = rng.randrange(len(lines))
            text = "".join(lines[:i] + lines[i + 1:])
        elif kind == 1:
            i = rng.randrange(len(lines))
            text = "".join(lines[:i] + [lines[i]] * rng.randint(2, 4) + lines[i:])
        elif kind == 2:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines = lines[:]
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        elif kind == 3:
            t = tokens[:]
            i, j = rng.randrange(len(t)), rng.randrange(len(t))
            t[i], t[j] = t[j], t[i]
            text = " ".join(t)
        elif kind == 4:
            t = tokens[:]
            for _ in range(min(rng.randint(1, 5), len(t) - 1)):
                del t[rng.randrange(len(t))]
            text = " ".join(t)
        elif kind == 5:
            t = tokens[:]
            for _ in range(rng.randint(1, 5)):
                t.insert(rng.randrange(len(t)), rng.choice(tokens))
            text = " ".join(t)
        elif kind == 6:
            chars = list(source)
            for _ in range(rng.randint(1, 8)):
                chars[rng.randrange(len(chars))] = rng.choice("()[]{}=:+-*/^.,#\"'\n 09aZ%~<>t_")
            text = "".join(chars)
        else:  # replace a number with an extreme one
            t = tokens[:]
            i = rng.randrange(len(t))
            t[i] = rng.choice(["1e308", "1e-320", "0", "9" * 400, "-0", "1_000_000_000_000_000_000"])
            text = " ".join(t)
        yield text.encode("utf-8", "surrogatepass")


def byte_cases(count: int, rng: random.Random):
    for _ in range(count):
        yield bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))


def extreme_cases(rng: random.Random):
    head = 'model "x"\ntimeline 2025..2027 yearly\n'
    yield (head + "x = " + "(" * 10_000 + "1" + ")" * 10_000 + "\n").encode()
    yield (head + "x = " + "-" * 10_000 + "1\n").encode()
    yield (head + "x = " + " + ".join(["1"] * 5000) + "\n").encode()
    yield (head + "input " + "n" * 100_000 + " = 1 USD\n").encode()
    yield (head + "input a = 1e308 USD\nb = a * a\n").encode()
    yield (head + "input a = 1e-300 USD\nb = a * a * 1e300\n").encode()
    yield (head + "".join(f"a{i} = a{i - 1} * a{i - 1}\n" if i else "a0 = 2\n" for i in range(60))).encode()
    yield ('model "x"\ntimeline 1..100000 yearly\nx[1] = 1\nx[2..] = x[t-1] + 1\n').encode()
    yield (head + 'x = 1 ' + "USD/" * 2000 + "USD\n").encode()
    yield b'model "\xff\xfe"\n'
    yield (head + "unit " + "u" * 300 + "\n").encode()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a case may take")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "fuzz")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    sources = [p.read_text() for p in sorted((ROOT / "models").glob("*.ush"))]
    sources += [p.read_text() for p in sorted((ROOT / "tests" / "errors").glob("*.ush"))]
    cases = list(extreme_cases(rng))
    cases += grammar_cases(min(max(args.cases // 10, 1), 5000), args.seed)  # hypothesis generates slowly
    cases += list(byte_cases(max(args.cases // 20, 1), rng))
    cases += list(mutation_cases(sources, max(args.cases - len(cases), 0), rng))
    cases = cases[:max(args.cases, len(list(extreme_cases(rng))))]
    counts: dict[str, int] = {}
    failures = []
    started = time.perf_counter()
    slowest = 0.0
    for k, data in enumerate(cases):
        t0 = time.perf_counter()
        outcome = run_case(data, args.timeout)
        slowest = max(slowest, time.perf_counter() - t0)
        key = outcome.split(":")[0]
        counts[key] = counts.get(key, 0) + 1
        if key in ("crash", "hang"):
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"case-{k}.ush").write_bytes(data)
            (args.out / f"case-{k}.txt").write_text(outcome)
            failures.append(k)
    summary = {"cases": len(cases), "seed": args.seed, "outcomes": counts, "crashes": counts.get("crash", 0),
               "hangs": counts.get("hang", 0), "seconds": round(time.perf_counter() - started, 1),
               "slowest_case_s": round(slowest, 3), "saved": [str(args.out / f"case-{k}.ush") for k in failures[:20]]}
    print(json.dumps(summary))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
