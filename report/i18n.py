"""Every text of the report in English and Dutch. A missing key or language fails loudly (tests render both)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "title": {"en": "Ecosystem health report", "nl": "Rapport ecosysteemgezondheid"},
    "as_of": {"en": "as of", "nl": "per"},
    "overall": {"en": "Overall health", "nl": "Totale gezondheid"},
    "range": {"en": "range", "nl": "bandbreedte"},
    "coverage": {"en": "coverage", "nl": "dekking"},
    "stage": {"en": "Stage", "nl": "Fase"},
    "active_partners": {"en": "active partners", "nl": "actieve partners"},
    "maturity": {"en": "Maturity level", "nl": "Volwassenheidsniveau"},
    "provisional": {"en": "provisional: a gating dimension lacks data", "nl": "voorlopig: een bepalende dimensie heeft te weinig data"},
    "next_level": {"en": "What the next level needs", "nl": "Wat het volgende niveau vraagt"},
    "dimensions": {"en": "The eight dimensions", "nl": "De acht dimensies"},
    "dimensions_note": {"en": "Bar: score from the data; whisker: the range if missing signals were at the bottom or top; "
                                "diamond: the organisation's own survey answers (shown beside, never blended in); "
                                "tick: the cycle's target.",
                        "nl": "Balk: score uit de data; snorhaar: de bandbreedte als ontbrekende signalen onderaan of "
                              "bovenaan lagen; ruit: de eigen surveyantwoorden van de organisatie (ernaast getoond, nooit "
                              "ermee gemengd); streepje: het doel van de cyclus."},
    "dimension": {"en": "Dimension", "nl": "Dimensie"},
    "score": {"en": "Score", "nl": "Score"},
    "survey": {"en": "Survey (self)", "nl": "Survey (zelf)"},
    "capability": {"en": "Capability", "nl": "Capaciteit"},
    "insufficient": {"en": "insufficient data", "nl": "onvoldoende data"},
    "history": {"en": "History", "nl": "Verloop"},
    "history_note": {"en": "Overall health and the focus dimensions per day; triangles mark drift alerts (▲ up, ▼ down).",
                     "nl": "Totale gezondheid en de focusdimensies per dag; driehoeken markeren driftmeldingen (▲ omhoog, ▼ omlaag)."},
    "open_alerts": {"en": "Open drift alerts", "nl": "Openstaande driftmeldingen"},
    "no_open_alerts": {"en": "No open drift alerts.", "nl": "Geen openstaande driftmeldingen."},
    "cycle": {"en": "Measure: focus dimensions of the current cycle", "nl": "Measure: focusdimensies van de huidige cyclus"},
    "no_cycle": {"en": "No APEX cycle is configured for this day.", "nl": "Voor deze dag is geen APEX-cyclus ingesteld."},
    "cycle_line": {"en": "Cycle {id} ({phase}), {start} to {end}: day {elapsed} of {total}.",
                   "nl": "Cyclus {id} ({phase}), {start} tot {end}: dag {elapsed} van {total}."},
    "baseline": {"en": "Baseline", "nl": "Nulmeting"},
    "target": {"en": "Target", "nl": "Doel"},
    "movement": {"en": "Movement", "nl": "Beweging"},
    "share_to_target": {"en": "Of the way to target", "nl": "Van de weg naar het doel"},
    "on_track": {"en": "On track at this pace", "nl": "Op koers in dit tempo"},
    "yes": {"en": "yes", "nl": "ja"},
    "no": {"en": "no", "nl": "nee"},
    "unknown": {"en": "not yet known", "nl": "nog niet bekend"},
    "moved_by": {"en": "Moved by", "nl": "Bewogen door"},
    "focus_note": {"en": "Grey dot: baseline; bar: movement since then; black line: target; open dot: where the "
                         "current pace ends the cycle.",
                   "nl": "Grijze stip: nulmeting; balk: beweging sindsdien; zwarte lijn: doel; open stip: waar het "
                         "huidige tempo de cyclus eindigt."},
    "surprises": {"en": "What surprises: other dimensions that moved", "nl": "Wat verrast: andere dimensies die bewogen"},
    "no_surprises": {"en": "No other dimension moved notably since the baseline.",
                     "nl": "Geen andere dimensie bewoog opvallend sinds de nulmeting."},
    "cycle_history": {"en": "Cycle history", "nl": "Cyclusgeschiedenis"},
    "status_closed": {"en": "closed", "nl": "afgesloten"},
    "status_current": {"en": "current", "nl": "lopend"},
    "status_planned": {"en": "planned", "nl": "gepland"},
    "result": {"en": "Result", "nl": "Resultaat"},
    "movers": {"en": "Biggest movers in the last {days} days", "nl": "Grootste bewegers in de laatste {days} dagen"},
    "no_movers": {"en": "Not enough history to compare.", "nl": "Te weinig historie om te vergelijken."},
    "explanation": {"en": "Explanation", "nl": "Verklaring"},
    "gaps": {"en": "Perception gaps", "nl": "Perceptiekloven"},
    "gaps_note": {"en": "Positive self-vs-measured: the organisation rates itself higher than its data shows. "
                        "Leadership vs operations: how far the two groups' answers lie apart.",
                  "nl": "Positief zelf-vs-gemeten: de organisatie schat zichzelf hoger in dan haar data laat zien. "
                        "Leiding vs operatie: hoe ver de antwoorden van beide groepen uiteen liggen."},
    "no_gaps": {"en": "No valid survey answers for this day: import a quick-scan to see the gaps.",
                "nl": "Geen geldige surveyantwoorden voor deze dag: importeer een quick-scan om de kloven te zien."},
    "measured": {"en": "Measured", "nl": "Gemeten"},
    "self": {"en": "Self", "nl": "Zelf"},
    "leadership": {"en": "Leadership", "nl": "Leiding"},
    "operations": {"en": "Operations", "nl": "Operatie"},
    "partner": {"en": "Partners", "nl": "Partners"},
    "self_vs_measured": {"en": "Self vs measured", "nl": "Zelf vs gemeten"},
    "leadership_vs_operations": {"en": "Leadership vs operations", "nl": "Leiding vs operatie"},
    "respondents": {"en": "respondents", "nl": "respondenten"},
    "survey_age": {"en": "newest answer {days} days old", "nl": "nieuwste antwoord {days} dagen oud"},
    "quality": {"en": "Data coverage and quality", "nl": "Datadekking en -kwaliteit"},
    "dq_status": {"en": "Data quality", "nl": "Datakwaliteit"},
    "signals_present": {"en": "Signals present", "nl": "Signalen aanwezig"},
    "reason": {"en": "Reason", "nl": "Reden"},
    "partners": {"en": "Partners that lift or drag each dimension", "nl": "Partners die een dimensie optillen of afremmen"},
    "partners_none": {"en": "Partner-level signal values are not available for this day.",
                      "nl": "Signaalwaarden per partner zijn voor deze dag niet beschikbaar."},
    "lifts": {"en": "Lifts most", "nl": "Tilt het meest op"},
    "drags": {"en": "Drags most", "nl": "Remt het meest af"},
    "benchmark": {"en": "Peer benchmark", "nl": "Vergelijking met peers"},
    "benchmark_note": {"en": "Percentile within the {cohort} cohort of {n} organisations (anonymous: no other "
                             "organisation is named or shown).",
                       "nl": "Percentiel binnen het cohort {cohort} van {n} organisaties (anoniem: geen andere "
                             "organisatie wordt genoemd of getoond)."},
    "benchmark_none": {"en": "A peer benchmark needs at least {n} organisations scored on this day in this "
                             "deployment.",
                       "nl": "Een vergelijking met peers vraagt minstens {n} organisaties met scores op deze dag in "
                             "deze installatie."},
    "cohort_all": {"en": "all stages", "nl": "alle fasen"},
    "percentile": {"en": "Percentile", "nl": "Percentiel"},
    "footer": {"en": "apex-monitor · model {version} · generated {generated} · computed from the organisation's own "
                     "PRM and CRM data; this file needs no network.",
               "nl": "apex-monitor · model {version} · gemaakt {generated} · berekend uit de eigen PRM- en CRM-data "
                     "van de organisatie; dit bestand heeft geen netwerk nodig."},
    "no_scores": {"en": "No scores are stored for this day.", "nl": "Voor deze dag zijn geen scores opgeslagen."},
    "points": {"en": "points", "nl": "punten"},
    "effect_appeared": {"en": "back in the score", "nl": "weer meegeteld"},
    "effect_dropped": {"en": "dropped out of the score", "nl": "niet meer meegeteld"},
    "partner_score": {"en": "score {score}", "nl": "score {score}"},
    "partners_note": {"en": "Each partner's own values of the signals measured per partner, scored on the same "
                            "goalposts as the dimension (1..100); in brackets the number of partners with a value.",
                      "nl": "De eigen waarden van elke partner op de signalen die per partner gemeten worden, "
                            "gescoord op dezelfde doelpalen als de dimensie (1..100); tussen haakjes het aantal "
                            "partners met een waarde."},
}


def t(key: str, language: str, **values) -> str:
    text = TEXTS[key][language]
    return text.format(**values) if values else text

