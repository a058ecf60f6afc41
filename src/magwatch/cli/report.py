"""Commands ``brief`` (the monthly brief), ``check`` (claim checker) and ``alerts run|list|test``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import pyarrow as pa
import typer

from magwatch import params
from magwatch.cli import app, open_handle
from magwatch.errors import InputError, ParameterError
from magwatch.render import emit_table, to_json

alerts_app = typer.Typer(no_args_is_help=True, add_completion=False,
                         help="Alert rules on the monthly figures (docs/brief.md, 'Alerts').")
app.add_typer(alerts_app, name="alerts")

CHECK_COLUMNS = ["sentence_no", "verdict", "claim", "partner", "period", "claimed", "computed", "gap",
                 "reason"]


def _formats(text: str) -> tuple[str, ...]:
    out = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    for f in out:
        if f not in ("md", "html", "pdf"):
            raise ParameterError("format", f"expected md, html or pdf (comma-separated), got {f!r}")
    return out or ("md",)


@app.command()
def brief(month: str = typer.Option(..., help="YYYY-MM"),
          fmt: str = typer.Option("md", "--format", help="md, html, pdf or a comma list (md,html)"),
          out: Optional[Path] = typer.Option(None, "--out", help="Directory for the files and charts"),
          scenario: str = typer.Option("repeat-2025-04", help="Risk scenario for the outlook ('none' to skip)"),
          paths: int = typer.Option(2000, help="Monte Carlo paths for the scenario"),
          seed: int = typer.Option(0, help="Random seed for the scenario"),
          top: int = typer.Option(5, help="Destinations to list"),
          focus: Optional[str] = typer.Option(None, help="Destination to lead with (DEU, EUU, USA, JPN, KOR, "
                                              "IND...); default: the month's biggest move")) -> None:
    """The monthly brief: Markdown to the terminal; with --out, files and charts (PNG+SVG)."""
    formats = _formats(fmt)
    if out is None and any(f in ("html", "pdf") for f in formats):
        raise ParameterError("out", "--format html/pdf writes files: give --out DIR")
    if paths < 1:
        raise ParameterError("paths", f"expected a positive number, got {paths}")
    with open_handle(read_only=True) as mw:
        result = mw.brief(month, out_dir=out, formats=formats, top=top,
                          scenario=None if scenario.lower() == "none" else scenario, paths=paths, seed=seed,
                          focus=focus)
    if "md" in formats:
        typer.echo(result.markdown)
    for path in result.files:
        typer.echo(f"wrote {path}", err=True)
    for paths_ in result.charts.values():
        for p in paths_.values():
            typer.echo(f"wrote {p}", err=True)


def _read_text(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    if not path.is_file():
        raise ParameterError("file", f"no such file: {source}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path.name) from None


@app.command()
def check(source: str = typer.Argument(..., help="Text file, or - for standard input"),
          fmt: str = typer.Option("table", "--format", help="table|json|csv"),
          out: Optional[Path] = typer.Option(None, help="Write to a file"),
          strict: bool = typer.Option(False, help="Exit 1 when any claim is inconsistent"),
          as_of: Optional[str] = typer.Option(None, "--as-of", help="YYYY-MM-DD: when the text was published "
                                              "(default: its dateline)"),
          month: Optional[str] = typer.Option(None, help="YYYY-MM: the month the text is about when it "
                                              "does not say")) -> None:
    """Check the numeric claims in a text against the store: consistent, inconsistent, unverifiable,
    or not checked (a sentence about a scenario, forecast, price or another commodity)."""
    if fmt not in ("table", "json", "csv"):
        raise ParameterError("format", f"expected table, json or csv, got {fmt!r}")
    params.date(as_of, "as-of")
    params.month(month, "month")
    text = _read_text(source)
    with open_handle(read_only=True) as mw:
        frame = mw.check(text, as_of=as_of, month=month)
    table = frame.arrow
    if fmt == "json":
        rows = table.to_pylist()
        text_out = to_json([{"claim": r["claim"], "verdict": r["verdict"], "computed": r["computed"],
                             "claimed": r["claimed"], "sources": r["sources"], **r} for r in rows])
        if out:
            out.write_text(text_out + "\n", encoding="utf-8")
        else:
            typer.echo(text_out)
    else:
        if fmt == "table":
            labels = [f"{v} (rounded)" if r else v for v, r in
                      zip(table.column("verdict").to_pylist(), table.column("rounded").to_pylist())]
            table = table.set_column(table.schema.get_field_index("verdict"), "verdict", pa.array(labels))
        emit_table(table, fmt, out, title="claims", table_columns=CHECK_COLUMNS)
    if strict and "inconsistent" in table.column("verdict").to_pylist():
        raise typer.Exit(1)


def _print_rules(rules) -> None:
    for r in rules:
        if r.kind == "threshold":
            what = f"{r.metric} {r.op} {r.threshold:g} for {r.partners}"
        elif r.kind in ("new_low", "new_high"):
            what = f"new {r.months}-month {r.kind[4:]} for {r.partners}"
        elif r.kind == "hhi_cross":
            what = f"destination HHI crosses {r.threshold:,.0f} ({r.direction})"
        else:
            what = f"a revision changes a figure by {r.op} {r.threshold:g}%"
        typer.echo(f"{r.name:22} {r.kind:10} {what}" + (f"  # {r.description}" if r.description else ""))


@alerts_app.command("list")
def alerts_list(rules: Optional[Path] = typer.Option(None, help="Rules file (TOML); default: bundled example")) -> None:
    """Show the rules in a rules file."""
    from magwatch.report.alerts import EXAMPLE_RULES, read_rules

    parsed = read_rules(rules)
    typer.echo(f"# {rules or EXAMPLE_RULES}")
    _print_rules(parsed)


@alerts_app.command("test")
def alerts_test(rules: Optional[Path] = typer.Option(None, help="Rules file (TOML)"),
                month: Optional[str] = typer.Option(None, help="YYYY-MM (default: latest month)"),
                fmt: str = typer.Option("text", "--format", help="text|json")) -> None:
    """Evaluate the rules without delivering: what fires, and why the others do not."""
    from magwatch.report.alerts import format_alert

    with open_handle(read_only=True) as mw:
        ev = mw.alerts(rules, month=month)
    if fmt == "json":
        typer.echo(to_json({"month": ev.month, "alerts": [a.as_dict() for a in ev.alerts], "quiet": ev.quiet}))
        return
    if fmt != "text":
        raise ParameterError("format", f"expected text or json, got {fmt!r}")
    typer.echo(f"month {ev.month}: {len(ev.alerts)} alert(s)")
    for a in ev.alerts:
        typer.echo(format_alert(a))
    for q in ev.quiet:
        typer.echo(f"quiet [{q['rule']}] {q['why']}")


@alerts_app.command("run")
def alerts_run(rules: Optional[Path] = typer.Option(None, help="Rules file (TOML)"),
               month: Optional[str] = typer.Option(None, help="YYYY-MM (default: latest month)"),
               to: List[str] = typer.Option(["terminal"], "--to",
                                            help="terminal, jsonl:PATH or webhook:URL (repeatable)"),
               attempts: int = typer.Option(4, help="Webhook attempts per alert"),
               backoff: float = typer.Option(0.5, help="First webhook retry wait, seconds (doubles)")) -> None:
    """Evaluate the rules and deliver the alerts."""
    targets = parse_targets(to)
    with open_handle(read_only=True) as mw:
        ev = mw.alerts(rules, month=month)
    deliver(ev, targets, attempts=attempts, backoff=backoff)


def parse_targets(to: List[str]) -> list[tuple[str, Optional[str]]]:
    """``terminal``, ``jsonl:PATH`` or ``webhook:URL`` → (kind, argument) pairs."""
    targets = []
    for t in to:
        kind, _, arg = t.partition(":")
        if kind == "terminal" and not arg:
            targets.append((kind, None))
        elif kind in ("jsonl", "webhook") and arg:
            targets.append((kind, arg))
        else:
            raise ParameterError("to", f"expected terminal, jsonl:PATH or webhook:URL, got {t!r}")
    return targets


def deliver(ev, targets, *, attempts: int = 4, backoff: float = 0.5) -> None:
    """Deliver an evaluation's alerts to each target."""
    from magwatch.report.alerts import deliver_jsonl, deliver_webhook, format_alert

    for kind, arg in targets:
        if kind == "terminal":
            typer.echo(f"month {ev.month}: {len(ev.alerts)} alert(s)")
            for a in ev.alerts:
                typer.echo(format_alert(a))
        elif kind == "jsonl":
            n = deliver_jsonl(ev.alerts, arg)
            typer.echo(f"appended {n} alert(s) to {arg}", err=True)
        else:
            report_retries()
            sent = deliver_webhook(ev.alerts, arg, attempts=attempts, backoff=backoff)
            typer.echo(f"posted {len(sent)} alert(s) to {arg} "
                       f"({sum(s['attempts'] for s in sent)} request(s))", err=True)

def report_retries(quiet: bool = False) -> None:
    """Each retry (of a fetch or a webhook) as one short line on stderr, not stamina's log."""
    import stamina.instrumentation

    def on_retry(details) -> None:
        if not quiet:
            typer.echo(f"retry {details.retry_num} in {details.wait_for:.1f} s after "
                       f"{details.caused_by}", err=True)

    stamina.instrumentation.set_on_retry_hooks([on_retry])


__all__ = ["alerts_app", "brief", "check", "deliver", "parse_targets"]


# -- after new figures land (magwatch refresh, magwatch import) ----------------------------

ALERTS_OPTION = typer.Option(None, "--alerts", help="Alert rules (TOML) to evaluate when new figures landed")
ALERTS_TO_OPTION = typer.Option(["terminal"], "--alerts-to",
                                help="terminal, jsonl:PATH or webhook:URL (repeatable)")
BRIEF_DIR_OPTION = typer.Option(None, "--brief-dir",
                                help="Rewrite the latest month's brief here when new figures landed")


def landing_hooks(mw, alerts: Optional[Path], alerts_to: List[str], brief_dir: Optional[Path]) -> list:
    """``hook(store, landed)`` callables: evaluate alert rules, rewrite the latest brief."""
    targets = parse_targets(alerts_to) if alerts else []
    hooks = []
    if alerts:
        hooks.append(lambda store, landed: deliver(mw.alerts(alerts), targets))
    if brief_dir:
        hooks.append(lambda store, landed: _rewrite_brief(mw, brief_dir))
    return hooks


def _rewrite_brief(mw, out_dir: Path) -> None:
    """Write the brief of the latest month with data."""
    month = mw.monitor().month
    for path in mw.brief(month, out_dir=out_dir).files:
        typer.echo(f"wrote {path}", err=True)
