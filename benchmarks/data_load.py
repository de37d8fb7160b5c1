"""Loading a data table of a million rows (issue 30 item 4): a CSV of months x accounts, written
here, read by a model's data statement. Measured: the time to read and check the rows
(engine/data_tables.py, the step between the parse and the checker), the time to load, check and
run the model, and the peak memory of the read (tracemalloc, in a second read: the Python heap and
numpy's arrays, where the rows would pile up if they were not streamed), against the file's size.
The values read are compared with the numbers written first: a benchmark of a wrong reader is no
benchmark.

    python -m benchmarks.data_load            # 1,000,000 rows: 2,000 months x 500 accounts
    python -m benchmarks.data_load --quick    # 10,000 rows

The last line printed is JSON (one object per size).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

SIZES = {"full": [(500, 500), (2000, 500)], "quick": [(100, 100)]}  # (months, accounts)


def value(month: int, account: int) -> float:
    return month * 1000 + account + 0.25


def write_csv(path: Path, months: int, accounts: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("period,account,amount (USD/month)\n")
        for m in range(months):
            label = f"{2000 + m // 12}-{m % 12 + 1:02d}"
            out.writelines(f"{label},a{a},{value(m, a)!r}\n" for a in range(accounts))


def model_text(months: int, accounts: int) -> str:
    last = months - 1
    items = ", ".join(f"a{a}" for a in range(accounts))
    return (f"timeline 2000-01..{2000 + last // 12}-{last % 12 + 1:02d} monthly\n"
            f"dimension account = {{{items}}}\n"
            'data ledger = csv "ledger.csv" by month(period), account\n'
            "input amount by account: USD/month = ledger.amount\n")


def measure(folder: Path, months: int, accounts: int) -> dict:
    from unitsheet import loads
    from unitsheet.engine.data_sources import DataOptions
    from unitsheet.engine.data_tables import resolve

    csv_path = folder / "ledger.csv"
    write_csv(csv_path, months, accounts)
    text = model_text(months, accounts)
    model = loads(text, str(folder / "m.ush"))
    start = time.perf_counter()
    resolve(model.module, text, folder, DataOptions())
    read_s = time.perf_counter() - start
    tracemalloc.start()  # a second read, traced (tracing slows every allocation: not timed)
    resolve(model.module, text, folder, DataOptions())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    start = time.perf_counter()
    results = loads(text, str(folder / "m.ush")).run()
    check_s = time.perf_counter() - start
    for m, a in ((0, 0), (months - 1, accounts - 1), (months // 2, accounts // 3)):
        got = results.values[f"amount[a{a}]"][m]
        assert got == value(m, a), (m, a, got)  # the reader's numbers are the file's
    return {"rows": months * accounts, "months": months, "accounts": accounts,
            "file_mb": round(csv_path.stat().st_size / 1e6, 1), "read_s": round(read_s, 2),
            "peak_mb": round(peak / 1e6, 1), "values_mb": round(months * accounts * 8 / 1e6, 1),
            "load_and_run_s": round(check_s, 2)}


def main(argv: list[str]) -> None:
    sizes = SIZES["quick" if "--quick" in argv else "full"]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        measure(Path(folder), 2, 2)  # the unit registry and the parser built once, outside the figures
        for months, accounts in sizes:
            rows.append(measure(Path(folder), months, accounts))
    print("| rows | file | read and check the rows | peak memory of the read | the values themselves | "
          "load, check and run the model |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['rows']:,} | {r['file_mb']} MB | {r['read_s']} s | {r['peak_mb']} MB | {r['values_mb']} MB | "
              f"{r['load_and_run_s']} s |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
