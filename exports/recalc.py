"""Recalculate a workbook with LibreOffice, headless: the independent check that an exported
workbook's formulas compute what the engine computed (tests), and the spreadsheet the engine is
measured against (benchmarks)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# OOXMLRecalcMode: 0 = always recalculate on load, 1 = never (trust the stored values).
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_recalculate(path: Path, workdir: Path, recalculate: bool = True, timeout: float = 600) -> Path:
    """Open `path`, recalculate every formula (or, recalculate=False, keep the stored values) and
    save it as xlsx in workdir; return the saved file. One whole LibreOffice process."""
    mode = "always" if recalculate else "never"
    profile = Path(workdir) / f"lo-profile-{mode}"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE.format(mode=0 if recalculate else 1))
    outdir = Path(workdir) / f"lo-out-{mode}"
    outdir.mkdir(exist_ok=True)
    subprocess.run([soffice(), "--headless", "--norestore", f"-env:UserInstallation=file://{profile.resolve()}",
                    "--convert-to", "xlsx", "--outdir", str(outdir), str(path)],
                   check=True, capture_output=True, timeout=timeout)
    out = outdir / Path(path).name
    if not out.exists():  # LibreOffice exits 0 even when it could not load the file
        raise RuntimeError(f"LibreOffice wrote nothing for {path}")
    return out
