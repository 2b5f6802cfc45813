"""The served predictions, each appended to a log file of the serving process.

One JSON-lines file per process (`served_predictions/<host>-<pid>.jsonl` under the data
root): the service never opens the warehouse, and workers never write one file together. A
line is one flight's prediction (model, version, the flight's id as the feature table names
it, its local date, the prediction time, the score, the features); a line is written whole or,
if the process dies mid-write, left without its newline, which the loader skips
(lib/ml/served_predictions.py loads the files into `ml.served_predictions`).
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path
from typing import Any


class PredictionLog:
    """This process's log file, appended to one line per prediction."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{socket.gethostname()}-{os.getpid()}.jsonl"
        self._lock = threading.Lock()

    def append(self, records: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(record, default=str) + "\n" for record in records)
        with self._lock, self.path.open("a", encoding="utf-8") as log:
            log.write(text)
