"""The published 2024 tables of ../shared/seed, rebuilt from generated tickets."""

import io
from datetime import UTC, datetime, timedelta

from django.core.management import call_command

from reports import selectors

# The seed's published 2024 figures (H:MM:SS), month by month, and the year's total.
PUBLISHED_WAIT = ["0:03:30", "0:03:54", "0:04:08", "0:04:10", "0:03:32", "0:03:29",
                  "0:04:26", "0:03:07", "0:04:06", "0:02:42", "0:02:57", "0:02:46"]  # fmt: skip
PUBLISHED_WAIT_TOTAL = "0:03:36"
PUBLISHED_SERVICE = ["0:05:36", "0:05:49", "0:06:01", "0:06:26", "0:05:55", "0:05:56",
                     "0:06:09", "0:06:24", "0:05:43", "0:06:03", "0:05:48", "0:05:40"]  # fmt: skip
PUBLISHED_SERVICE_TOTAL = "0:06:03"
# Tickets per month. The year's total is the mean over tickets, so the monthly
# volumes decide it: these make both totals come out as published.
VOLUMES = [6, 6, 9, 16, 5, 7, 15, 16, 8, 12, 13, 5]


def seconds(hms: str) -> int:
    h, m, s = (int(x) for x in hms.split(":"))
    return h * 3600 + m * 60 + s


def spread(mean: int, n: int) -> list[int]:
    """n whole-second values that vary but average exactly `mean`."""
    values = [mean + 2 * i - (n - 1) for i in range(n)]  # symmetric offsets around the mean
    assert sum(values) == mean * n and len(set(values)) == n
    return values


def test_the_published_wait_and_service_tables_are_reproduced(counters, tmp_path):
    lines = ["office,service,number,issued_at,called_at,started_at,finished_at,status,counter"]
    for month, n in enumerate(VOLUMES, start=1):
        waits = spread(seconds(PUBLISHED_WAIT[month - 1]), n)
        services = spread(seconds(PUBLISHED_SERVICE[month - 1]), n)
        for i, (wait, serve) in enumerate(zip(waits, services, strict=True)):
            issued = datetime(2024, month, 3, 6, tzinfo=UTC) + timedelta(minutes=15 * i)
            called = issued + timedelta(seconds=wait)
            finished = called + timedelta(seconds=serve)
            lines.append(
                f"main,fl,А{i + 1:03d},{issued.isoformat()},{called.isoformat()},,{finished.isoformat()},done,1"
            )
    path = tmp_path / "history-2024.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    call_command("import_tickets", str(path), stdout=io.StringIO())

    report = selectors.service_times(2024)
    assert [m["avg_wait"] for m in report["months"]] == PUBLISHED_WAIT
    assert report["total"]["avg_wait"] == PUBLISHED_WAIT_TOTAL
    assert [m["avg_service"] for m in report["months"]] == PUBLISHED_SERVICE
    assert report["total"]["avg_service"] == PUBLISHED_SERVICE_TOTAL
    assert report["total"]["tickets"] == sum(VOLUMES)
