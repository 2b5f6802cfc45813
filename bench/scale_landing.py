"""B4 setup: the year's flights landing files made FACTOR times larger, with perturbed values.

Copy k of a flight gets flight number + 10000 k (so its key stays unique) and departure and
arrival delays moved by a deterministic amount in [-5, 5] minutes; weather and reference files
are copied as they are. Values are rewritten as text, so the files keep the landing format.

Usage: scale_landing.py FACTOR SOURCE_LANDING TARGET_LANDING
"""

import shutil
import sys
from pathlib import Path

import duckdb

_PERTURBED = """
    CASE WHEN {column} = 'NA' THEN 'NA'
         ELSE CAST(CAST({column} AS INTEGER)
                   + CAST(hash(copy, flight, sched_dep_time, '{column}') % 11 AS INTEGER) - 5
                   AS VARCHAR) END AS {column}
"""


def scale_flights(factor: int, source: Path, target: Path) -> None:
    columns = source.open().readline().strip().split(",")
    changed = {
        "flight": "CAST(CAST(flight AS INTEGER) + 10000 * copy AS VARCHAR) AS flight",
        "dep_delay": _PERTURBED.format(column="dep_delay"),
        "arr_delay": _PERTURBED.format(column="arr_delay"),
    }
    select = ", ".join(changed.get(column, column) for column in columns)
    duckdb.execute(
        f"COPY (SELECT {select} FROM read_csv(?, all_varchar = true, header = true), "
        f"range(?) AS copies(copy) ORDER BY copy) TO '{target}' (HEADER, QUOTE '')",
        [str(source), factor],
    )


if __name__ == "__main__":
    factor, source, target = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("flights"))
    (target / "flights").mkdir()
    for day_file in sorted((source / "flights").glob("*.csv")):
        scale_flights(factor, day_file, target / "flights" / day_file.name)
