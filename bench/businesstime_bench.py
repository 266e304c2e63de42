"""Benchmark business-time arithmetic (sopdesk/lib/businesstime.py): operations per second.

    python bench/businesstime_bench.py [--quick] [--operations N] [--seed N]

For three calendars — a Shanghai office (Mon–Fri 09:00–12:00 and 13:30–18:00) with China's
2025–2026 holidays and make-up working days, a 24×7 calendar, and a New York office (Mon–Fri
09:00–17:00, DST) with US federal holidays — the script draws random spans of up to 60 days in
2025–2026 (start anywhere, to the microsecond) and times `elapsed(start, end)`, then
`add(start, d)` and `subtract(end, d)` with d = that span's business time, so all three walk the
same spans; for the Shanghai office also spans of up to 700 days. Every result is checked against
the others afterwards (untimed). It also times building a calendar. Single process, single
thread; the best of three rounds is reported, by CPU time and by wall clock.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sopdesk.lib.businesstime import (  # noqa: E402  (after the path set-up, as a script)
    BusinessCalendar,
    WorkingInterval,
    add,
    elapsed,
    subtract,
)

RESULTS_DIR = ROOT / "bench" / "results"
FIRST_START = datetime(2025, 1, 1, tzinfo=UTC)
LAST_START = datetime(2026, 11, 1, tzinfo=UTC)  # spans end in 2026: China publishes a year at a time
MAX_SPAN = timedelta(days=60)
LONG_SPAN = timedelta(days=700)
SHANGHAI = "Shanghai office, China holidays"
ROUNDS = 3


def office(zone: str, spans: list[tuple[int, int]], country: holidays.HolidayBase) -> BusinessCalendar:
    """Return a Mon–Fri calendar in `zone` with `country`'s holidays and weekend working days."""
    make_up = getattr(country, "weekend_workdays", set())
    return BusinessCalendar(
        zone=ZoneInfo(zone),
        intervals=tuple(WorkingInterval(weekday, start, end) for weekday in range(5) for start, end in spans),
        holidays=frozenset(country),
        extra_working_days={day: 0 for day in make_up if day.year >= 2025},
    )


def calendars() -> dict[str, BusinessCalendar]:
    return {
        SHANGHAI: office(
            "Asia/Shanghai", [(9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60)], holidays.China(years=[2025, 2026])
        ),
        "24×7": BusinessCalendar(zone=ZoneInfo("Asia/Shanghai"), always_open=True),
        "New York office, US holidays": office(
            "America/New_York", [(9 * 60, 17 * 60)], holidays.UnitedStates(years=[2025, 2026])
        ),
    }


def random_spans(
    count: int, seed: int, *, last_start: datetime = LAST_START, max_span: timedelta = MAX_SPAN
) -> list[tuple[datetime, datetime]]:
    generator = random.Random(seed)
    window = (last_start - FIRST_START) // timedelta(microseconds=1)
    span = max_span // timedelta(microseconds=1)
    spans = []
    for _ in range(count):
        start = FIRST_START + timedelta(microseconds=generator.randrange(window))
        spans.append((start, start + timedelta(microseconds=generator.randrange(span + 1))))
    return spans


def best_rate(operation: Callable[[], object], count: int) -> dict[str, float]:
    """Return operations per second of the fastest of ROUNDS rounds, by CPU time and by wall clock.

    CPU time (of this process) is the figure to compare: on a shared machine the wall clock also
    counts the time other processes held the core.
    """
    cpu = wall = float("inf")
    for _ in range(ROUNDS):
        wall_started, cpu_started = time.perf_counter(), time.process_time()
        operation()
        cpu = min(cpu, time.process_time() - cpu_started)
        wall = min(wall, time.perf_counter() - wall_started)
    return {"per_cpu_second": count / cpu, "per_wall_second": count / wall, "cpu_us": cpu * 1e6 / count}


def measure(name: str, calendar: BusinessCalendar, spans: list[tuple[datetime, datetime]]) -> dict[str, Any]:
    durations = [elapsed(calendar, start, end) for start, end in spans]  # also warms the zone caches
    count = len(spans)
    result: dict[str, Any] = {"calendar": name, "operations": count}
    result["elapsed"] = best_rate(lambda: [elapsed(calendar, start, end) for start, end in spans], count)
    result["add"] = best_rate(
        lambda: [add(calendar, start, duration) for (start, _), duration in zip(spans, durations, strict=True)], count
    )
    result["subtract"] = best_rate(
        lambda: [subtract(calendar, end, duration) for (_, end), duration in zip(spans, durations, strict=True)], count
    )
    # Correctness, untimed: add and subtract land inside the span and give its business time back.
    for (start, end), duration in zip(spans, durations, strict=True):
        due = add(calendar, start, duration)
        begin = subtract(calendar, end, duration)
        if not (start <= due <= end and start <= begin <= end):
            raise AssertionError(f"{name}: {start} + {duration} = {due}, {end} - {duration} = {begin}")
        if elapsed(calendar, start, due) != duration or elapsed(calendar, begin, end) != duration:
            raise AssertionError(f"{name}: elapsed does not give {duration} back for {start} – {end}")
    hours = [duration / timedelta(hours=1) for duration in durations]
    result["mean_business_hours"] = round(sum(hours) / count, 1)
    return result


def measure_construction(count: int) -> dict[str, Any]:
    """Time building the Shanghai calendar from plain data (what a caller does per request at worst)."""
    china = holidays.China(years=[2025, 2026])
    days_off = sorted(china)
    make_up = sorted(day for day in china.weekend_workdays if day.year >= 2025)
    zone = ZoneInfo("Asia/Shanghai")
    spans = [(9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60)]

    def build() -> None:
        for _ in range(count):
            BusinessCalendar(
                zone=zone,
                intervals=tuple(WorkingInterval(weekday, start, end) for weekday in range(5) for start, end in spans),
                holidays=frozenset(days_off),
                extra_working_days=dict.fromkeys(make_up, 0),
            )

    return best_rate(build, count) | {"holidays": len(days_off), "make_up_days": len(make_up)}


def load_average() -> list[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark business-time add, subtract and elapsed.")
    parser.add_argument("--quick", action="store_true", help="2,000 spans per calendar instead of 20,000")
    parser.add_argument("--operations", type=int, help="spans per calendar (overrides the mode)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    count = args.operations or (2_000 if args.quick else 20_000)
    mode = "quick" if args.quick else "full"
    spans = random_spans(count, args.seed)
    # Spans of up to 700 days, all inside 2025–2026 (China's published years), for the week walk.
    long_spans = random_spans(
        max(count // 10, 200), args.seed, last_start=datetime(2025, 1, 31, tzinfo=UTC), max_span=LONG_SPAN
    )
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "operations": count,
        "max_span_days": MAX_SPAN.days,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_before": load_average(),
        "runs": [measure(name, calendar, spans) for name, calendar in calendars().items()],
        "long_runs": [measure("Shanghai office, spans ≤ 700 days", calendars()[SHANGHAI], long_spans)],
        "construction": measure_construction(max(count // 10, 200)),
        "load_average_after": load_average(),
    }
    print(
        f"business-time bench, {mode} mode: {count:,} random spans of 0–{MAX_SPAN.days} days per calendar,"
        f" best of {ROUNDS} rounds, Python {report['python']}, load {report['load_average_before']}"
    )
    operations = ("elapsed", "add", "subtract")
    print(f"\n{'operations per CPU second (µs each)':36}" + "".join(f"{name:>18}" for name in operations) + "  mean h")
    for run in report["runs"] + report["long_runs"]:
        cells = "".join(f"{run[name]['per_cpu_second']:>10,.0f} ({run[name]['cpu_us']:5.1f})" for name in operations)
        print(f"{run['calendar']:36}{cells}  {run['mean_business_hours']:6.1f}")
    print(f"\n{'operations per wall-clock second':36}" + "".join(f"{name:>18}" for name in operations))
    for run in report["runs"] + report["long_runs"]:
        print(f"{run['calendar']:36}" + "".join(f"{run[name]['per_wall_second']:>18,.0f}" for name in operations))
    construction = report["construction"]
    print(
        f"\nbuilding the Shanghai calendar ({construction['holidays']} holidays,"
        f" {construction['make_up_days']} make-up days): {construction['per_cpu_second']:,.0f} per CPU second,"
        f" {construction['cpu_us']:.1f} µs each"
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = RESULTS_DIR / f"businesstime-{mode}-{stamp}.json"
    output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults: {output.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
