"""`python -m bench [--quick] [--only NAME]`: run, print, write RESULTS.md."""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import Section, git_revision, machine, table

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
ORDER = ("command", "friday", "fanout", "instances", "charts", "startup", "profile")
KEPT = "_(kept from an earlier run, not re-run this time)_"


def _run(name: str, quick: bool) -> Section:
    if name == "command":
        from bench import command_path

        return command_path.run(command_path.QUICK if quick else command_path.FULL)
    if name == "friday":
        from bench import friday

        return friday.run(friday.QUICK if quick else friday.FULL)
    if name == "fanout":
        from bench import fanout

        return fanout.run(fanout.QUICK if quick else fanout.FULL)
    if name == "charts":
        from bench import charts

        return charts.run(charts.QUICK if quick else charts.FULL)
    if name == "profile":
        from bench import log_profile

        return log_profile.run(log_profile.QUICK if quick else log_profile.FULL)
    if name == "startup":
        from bench import startup

        return startup.run(startup.QUICK if quick else startup.FULL)
    from bench import many_instances

    return many_instances.run(many_instances.QUICK if quick else many_instances.FULL)


def _previous_sections() -> dict[str, str]:
    """Sections of the last RESULTS.md, kept when `--only` re-runs one benchmark."""
    if not RESULTS.exists():
        return {}
    found = re.findall(
        r"<!-- bench:(\w+) -->\n(.*?)<!-- /bench:\1 -->", RESULTS.read_text(), flags=re.S
    )
    return dict(found)


def write_results(sections: dict[str, Section], quick: bool, seconds: float) -> None:
    kept = _previous_sections()
    parts = [
        "# Benchmark results",
        "",
        "Written by `python -m bench` (see `bench/README.md`); do not edit by hand.",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- revision: {git_revision()}",
        f"- mode: {'--quick' if quick else 'full'}; ran {', '.join(sections)} in {seconds:.0f} s",
        "",
        table(["machine", ""], list(machine().items())),
        "",
    ]
    summary = [[s.title, "met" if s.met else "**MISSED**"] for s in sections.values()]
    parts += [table(["benchmark (this run)", "targets"], summary), ""]
    for name in ORDER:
        if name in sections:
            section = sections[name]
            body = f"## {section.title}\n\n{section.body}\n"
        elif name in kept:
            body = kept[name].rstrip() + "\n"
            if KEPT not in body:
                body += f"\n{KEPT}\n"
        else:
            continue
        parts += [f"<!-- bench:{name} -->", body.rstrip() + "\n", f"<!-- /bench:{name} -->", ""]
    RESULTS.write_text("\n".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a couple of minutes")
    parser.add_argument("--only", choices=ORDER, action="append", help="run just this (repeatable)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    sections: dict[str, Section] = {}
    for name in args.only or ORDER:
        print(f"\n== {name} ==", flush=True)
        began = time.monotonic()
        section = _run(name, args.quick)
        sections[name] = section
        print(f"\n{section.body}\n\n({name}: {time.monotonic() - began:.0f} s)", flush=True)
    write_results(sections, args.quick, time.monotonic() - started)
    print(f"\nwrote {RESULTS}")
    return 0 if all(s.met for s in sections.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
