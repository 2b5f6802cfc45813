"""Run-failure alerts: recorded under the data root and, when configured, posted to a webhook.

The webhook URL comes only from the environment (PLATFORM_ALERT_WEBHOOK_URL), never from
a file in the repository.
"""

import json
import os
import urllib.request
from datetime import UTC, datetime

import dagster as dg

from platform_assets.lib.paths import DataPaths

WEBHOOK_ENV = "PLATFORM_ALERT_WEBHOOK_URL"
ALERTS_FILE = "alerts.jsonl"


def post_alert(url: str, alert: dict, timeout_seconds: float = 10.0) -> int:
    """POST the alert as JSON; returns the HTTP status."""
    request = urllib.request.Request(
        url,
        data=json.dumps(alert).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
        return response.status


def record_alert(alert: dict) -> None:
    """Append the alert to the data root's alerts file; post it when a webhook is configured."""
    alerts = DataPaths.from_env().root / ALERTS_FILE
    alerts.parent.mkdir(parents=True, exist_ok=True)
    with alerts.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(alert) + "\n")
    url = os.environ.get(WEBHOOK_ENV)
    if url:
        post_alert(url, alert)


@dg.run_failure_sensor(
    name="run_failure_alerts",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=f"Records each failed run in PLATFORM_DATA_DIR/{ALERTS_FILE} and posts it to "
    f"the webhook in {WEBHOOK_ENV} when that variable is set.",
)
def run_failure_alerts(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    alert = {
        "at": datetime.now(UTC).isoformat(),
        "run_id": run.run_id,
        "job": run.job_name,
        "tags": dict(run.tags),
        "message": context.failure_event.message,
    }
    record_alert(alert)
