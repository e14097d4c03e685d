"""What an alert says, in English or Dutch: one sentence per finding, a title per daily digest.

Pure text from the lifecycle's items and the model's dimension names; the explanation (largest contributing
signals, data coverage, most likely start) is passed in by the caller, who reads it from the warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from apex_model.alerting import DQ, ESCALATED, GREW, OPENED, REMINDER, RESOLVED, WATCH_OPENED, Item
from apex_model.model import ApexModel

_MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
              "november", "december")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


def day_text(day: date, language: str) -> str:
    months = _MONTHS_NL if language == "nl" else _MONTHS_EN
    return f"{day.day} {months[day.month - 1]} {day.year}"


def number(value: float, language: str, digits: int = 1) -> str:
    text = f"{abs(value):.{digits}f}"
    return text.replace(".", ",") if language == "nl" else text


def signed(value: float, language: str, digits: int = 1) -> str:
    return ("+" if value >= 0 else "−") + number(value, language, digits)


def series_name(model: ApexModel, series: str, language: str) -> str:
    if series == "overall":
        return "Ecosysteemgezondheid (totaal)" if language == "nl" else "Ecosystem health (overall)"
    return f"{model.dimension(series).name.get(language)} ({series})"


def finding_line(model: ApexModel, item: Item, language: str) -> str:
    """One sentence for one item, with its explanation when there is one."""
    nl = language == "nl"
    name = series_name(model, item.series, language)
    if item.kind == DQ:
        return (f"{name}: vandaag niet beoordeeld, datakwaliteit ({item.reason})" if nl else
                f"{name}: not evaluated today, data quality ({item.reason})")
    if item.kind == RESOLVED:
        since = day_text(item.opened_on, language) if item.opened_on else ""
        how = {"returned": ("is terug op het normale niveau", "is back at its normal level"),
               "new_normal": ("het nieuwe niveau is als normaal aanvaard", "the new level was accepted as normal"),
               "expired": ("het niveau houdt al lang aan en geldt nu als normaal",
                           "the level has held for long and now counts as normal")}.get(
            item.resolution or "", ("opgelost", "resolved"))
        score = number(item.score, language) if item.score is not None else "–"
        return (f"Opgelost: {name} {how[0]} ({score}; melding sinds {since})" if nl else
                f"Resolved: {name} {how[1]} ({score}; alert since {since})")
    moved = (item.deviation or 0.0)
    if nl:
        verb = "steeg" if moved > 0 else "daalde"
    else:
        verb = "rose" if moved > 0 else "fell"
    text = (f"{name} {verb} {number(moved, language)} punten naar {number(item.score or 0, language)} "
            f"t.o.v. het normale niveau van {number(item.baseline or 0, language)} "
            f"(normale variatie ±{number(item.sigma or 0, language)})" if nl else
            f"{name} {verb} {number(moved, language)} points to {number(item.score or 0, language)} "
            f"against its normal level of {number(item.baseline or 0, language)} "
            f"(normal variation ±{number(item.sigma or 0, language)})")
    prefix = {OPENED: ("Melding", "Alert"), ESCALATED: ("Melding", "Alert"), GREW: ("Verder verslechterd",
                                                                                    "Grown further"),
              REMINDER: ("Nog steeds", "Still open"), WATCH_OPENED: ("In de gaten houden", "Watch")}[item.kind]
    parts = [f"{prefix[0] if nl else prefix[1]}: {text}"]
    exp = item.explanation or {}
    if exp.get("onset"):
        parts.append((f"de verschuiving begon waarschijnlijk rond {day_text(date.fromisoformat(exp['onset']), language)}"
                      if nl else f"the shift most likely began around "
                                 f"{day_text(date.fromisoformat(exp['onset']), language)}"))
    drivers: Sequence[dict] = exp.get("drivers", [])
    if drivers:
        listed = ", ".join(f"{d['name_nl' if nl else 'name_en']} {signed(d['points'], language)}" for d in drivers)
        parts.append(f"grootste bijdragen: {listed}" if nl else f"largest contributions: {listed}")
    if exp.get("coverage") is not None:
        parts.append(f"datadekking {exp['coverage']:.0%}" if nl else f"data coverage {exp['coverage']:.0%}")
    if item.kind == REMINDER and item.opened_on:
        parts.append(f"open sinds {day_text(item.opened_on, language)}" if nl else
                     f"open since {day_text(item.opened_on, language)}")
    return "; ".join(parts) + "."


def digest_title(org_name: str, day: date, items: Sequence[Item], language: str) -> str:
    alerts = sum(1 for i in items if i.kind in (OPENED, ESCALATED, GREW, REMINDER))
    resolved = sum(1 for i in items if i.kind == RESOLVED)
    other = len(items) - alerts - resolved
    nl = language == "nl"
    counts = []
    if alerts:
        counts.append(f"{alerts} melding{'en' if alerts > 1 else ''}" if nl else
                      f"{alerts} alert{'s' if alerts > 1 else ''}")
    if resolved:
        counts.append(f"{resolved} opgelost" if nl else f"{resolved} resolved")
    if other:
        counts.append(f"{other} ter info" if nl else f"{other} for information")
    return f"apex-monitor · {org_name} · {day_text(day, language)}: {', '.join(counts)}"


def failure_title(job: str, org: str | None, language: str) -> str:
    where = f" ({org})" if org else ""
    return (f"apex-monitor: de dagelijkse run{where} is mislukt" if language == "nl" else
            f"apex-monitor: the daily run{where} failed")
