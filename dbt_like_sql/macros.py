"""Safe casts for staging SQL: text in, a typed value or NULL out, the same on PostgreSQL and SQLite.

PostgreSQL raises on `cast('garbage' as date)` and kills the whole query; SQLite returns junk (`date('2024-02-30')` is
'2024-02-30'). Staging models therefore cast with these macros, written like functions in the model's SQL and expanded
by the runner into guarded CASE expressions for the warehouse's dialect before the SQL runs:

| macro | accepts (after trimming; blank text is NULL) | returns |
|---|---|---|
| `safe_text(x)` | anything | the trimmed text |
| `safe_date(x)` | `YYYY-MM-DD`, a real calendar day, year 1000..9999 | date |
| `safe_timestamp(x)` | `YYYY-MM-DD`, optionally `T` or a space and `HH:MM[:SS[.fraction]]`, optionally `Z` or `±HH:MM` | timestamp in UTC, whole seconds |
| `safe_number(x)` | a JSON number (`-12`, `3.5`, `1e6`; exponent at most two digits) | double precision |
| `safe_integer(x)` | a JSON integer of at most 18 digits | bigint |
| `safe_boolean(x)` | `true/false`, `t/f`, `yes/no`, `y/n`, `1/0` (any case) | boolean |
| `safe_epoch_ms(x)` | a whole number of milliseconds since 1970-01-01 UTC (PartnerStack's timestamps) | timestamp in UTC, whole seconds |
| `safe_epoch_ms_date(x)` | the same | the UTC calendar date |
| `add_days(ts, n)` | a timestamp and a number of days | the timestamp n days later |

Anything else is NULL. A staging column produced by a safe cast also gets an automatic quarantine rule,
`<column>_parseable`, that holds back the row version whose text was present but did not parse (the runner compares
the column with the raw text it came from), so a bad value becomes a quarantine reason, not a crashed build and not a
silent NULL.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

RAW_PREFIX = "__raw__"
SAFE_CASTS = ("safe_text", "safe_date", "safe_timestamp", "safe_number", "safe_integer", "safe_boolean",
              "safe_epoch_ms", "safe_epoch_ms_date")
MACROS = (*SAFE_CASTS, "add_days")
CAST_TYPES = {"safe_text": "text", "safe_date": "date", "safe_timestamp": "timestamp", "safe_number": "number",
              "safe_integer": "integer", "safe_boolean": "boolean", "safe_epoch_ms": "epoch_ms",
              "safe_epoch_ms_date": "epoch_ms"}
EXPECTED_FORMAT = {
    "date": "a calendar date written YYYY-MM-DD",
    "timestamp": "an ISO 8601 timestamp (YYYY-MM-DD[THH:MM[:SS]][Z|±HH:MM])",
    "number": "a number such as 1250.5",
    "integer": "a whole number",
    "boolean": "true or false",
    "epoch_ms": "a whole number of milliseconds since 1970-01-01 UTC",
}

_T = "nullif(trim(cast({x} as text)), '')"


def _calendar(t: str) -> str:
    """True when the first ten characters of `t` (already shaped NNNN-NN-NN) are a real calendar day."""
    y, m, d = (f"cast(substr({t}, {a}, {b}) as integer)" for a, b in ((1, 4), (6, 2), (9, 2)))
    leap = f"(({y}) % 4 = 0 and ({y}) % 100 <> 0) or ({y}) % 400 = 0"
    return (f"({m} between 1 and 12 and {d} between 1 and case when {m} in (4, 6, 9, 11) then 30 "
            f"when {m} = 2 then case when {leap} then 29 else 28 end else 31 end)")


def _clock(t: str) -> str:
    """True when the time part (characters 12..19, after a 10-character date) is a real time of day."""
    return (f"(cast(substr({t}, 12, 2) as integer) <= 23 and cast(substr({t}, 15, 2) as integer) <= 59 "
            f"and (substr({t}, 17, 1) <> ':' or cast(substr({t}, 18, 2) as integer) <= 59))")


_PG_DATE = r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}"
_PG_TIME = r"[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
_PG_ZONE = r"(Z|[+-][0-9]{2}:[0-9]{2})"
_SQLITE_DATE = "[1-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"


def _postgres(name: str, x: str, n: str | None) -> str:
    t = _T.format(x=x)
    if name == "safe_text":
        return t
    if name == "safe_date":
        # Nested CASE, not AND: PostgreSQL does not promise to short-circuit, and the casts inside would raise.
        return f"case when {t} ~ '^{_PG_DATE}$' then case when {_calendar(t)} then cast({t} as date) end end"
    if name == "safe_timestamp":
        shaped = f"{t} ~ '^{_PG_DATE}({_PG_TIME}{_PG_ZONE}?)?$'"
        valid = f"case when {_calendar(t)} then case when length({t}) = 10 then true else {_clock(t)} end end"
        zoned = f"{t} ~ '{_PG_ZONE}$' and length({t}) > 10"
        return (f"case when {shaped} then case when {valid} then case when {zoned} "
                f"then date_trunc('second', cast({t} as timestamptz) at time zone 'UTC') "
                f"else date_trunc('second', cast({t} as timestamp)) end end end")
    if name == "safe_number":
        return (f"case when length({t}) <= 40 and {t} ~ '^-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][+-]?[0-9]{{1,2}})?$' "
                f"then cast({t} as double precision) end")
    if name == "safe_integer":
        return f"case when {t} ~ '^-?(0|[1-9][0-9]{{0,17}})$' then cast({t} as bigint) end"
    if name == "safe_boolean":
        return (f"case when lower({t}) in ('true', 't', 'yes', 'y', '1') then true "
                f"when lower({t}) in ('false', 'f', 'no', 'n', '0') then false end")
    if name in ("safe_epoch_ms", "safe_epoch_ms_date"):
        # At most 15 digits: up to the year 33658, and never an overflow inside to_timestamp.
        stamp = f"(to_timestamp(cast({t} as bigint) / 1000) at time zone 'UTC')"
        value = f"date_trunc('second', {stamp})" if name == "safe_epoch_ms" else f"cast({stamp} as date)"
        return f"case when {t} ~ '^-?[0-9]{{1,15}}$' then {value} end"
    if name == "add_days":
        return f"({x} + ({n}) * interval '1 day')"
    raise ValueError(f"unknown macro {name}")


def _sqlite(name: str, x: str, n: str | None) -> str:
    if name == "add_days":
        return f"datetime({x}, '+' || ({n}) || ' days')"
    t = "t"
    if name == "safe_text":
        return _T.format(x=x)
    if name == "safe_date":
        # date(t, '+0 days') normalises an impossible day (30 February becomes 1 March), so it differs from t.
        body = f"case when {t} glob '{_SQLITE_DATE}' and date({t}, '+0 days') = {t} then {t} end"
    elif name == "safe_timestamp":
        # datetime() parses the accepted shapes (and converts ±HH:MM to UTC); the guards reject what it would bend,
        # such as 30 February, 24:00 or a bare time of day.
        day, rest = f"substr({t}, 1, 10)", f"substr({t}, 11)"
        body = (f"case when {day} glob '{_SQLITE_DATE}' and date({day}, '+0 days') = {day} and "
                f"(length({t}) = 10 or ({rest} glob '[T ][0-9][0-9]:[0-9][0-9]*' and {_clock(t)} and "
                f"({rest} glob '*Z' or {rest} glob '*[0-9]' or {rest} glob '*[+-][0-9][0-9]:[0-9][0-9]') and "
                f"{rest} not glob '*[^0-9TZ:.+ -]*' and substr({t}, 12) not glob '* *')) then datetime({t}) end")
    elif name == "safe_number":
        # json_valid accepts exactly RFC 8259 JSON; json_type would raise on anything else, hence the nesting.
        body = (f"case when length({t}) <= 40 and json_valid({t}) then case when json_type({t}) in "
                f"('integer', 'real') and {t} not glob '*[eE]*[0-9][0-9][0-9]*' then cast({t} as real) end end")
    elif name == "safe_integer":
        body = (f"case when length(ltrim({t}, '-')) <= 18 and json_valid({t}) then case when json_type({t}) = "
                f"'integer' then cast({t} as integer) end end")
    elif name in ("safe_epoch_ms", "safe_epoch_ms_date"):
        fn = "datetime" if name == "safe_epoch_ms" else "date"
        body = (f"case when length(ltrim({t}, '-')) <= 15 and json_valid({t}) then case when json_type({t}) = "
                f"'integer' then {fn}(cast({t} as integer) / 1000, 'unixepoch') end end")
    elif name == "safe_boolean":
        body = (f"case when lower({t}) in ('true', 't', 'yes', 'y', '1') then 1 "
                f"when lower({t}) in ('false', 'f', 'no', 'n', '0') then 0 end")
    else:
        raise ValueError(f"unknown macro {name}")
    # A one-row subquery evaluates the trimmed text once (SQLite would re-extract the JSON at every mention).
    return f"(select {body} from (select {_T.format(x=x)} as t))"


def sqlglot_dialect(dialect: str) -> str:
    """The sqlglot name of an SQLAlchemy dialect."""
    return {"postgresql": "postgres", "sqlite": "sqlite"}.get(dialect, dialect)


def macro_name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Anonymous) and isinstance(node.this, str) and node.this.lower() in MACROS:
        return node.this.lower()
    return None


def expand(tree: exp.Expression, dialect: str) -> exp.Expression:
    """The tree with every macro call replaced by its expansion for `dialect` ('postgresql' or 'sqlite')."""
    target = sqlglot_dialect(dialect)
    builder = _postgres if target == "postgres" else _sqlite

    def replace(node: exp.Expression) -> exp.Expression:
        name = macro_name(node)
        if name is None:
            return node
        args = node.expressions
        wanted = 2 if name == "add_days" else 1
        if len(args) != wanted:
            raise ValueError(f"{name}() takes {wanted} argument(s), got {len(args)}")
        x = f"({args[0].sql(dialect=target)})"
        n = f"({args[1].sql(dialect=target)})" if wanted == 2 else None
        return sqlglot.parse_one(builder(name, x, n), read=target)

    return tree.copy().transform(replace)


def add_raw_projections(tree: exp.Expression) -> tuple[exp.Expression, dict[str, str]]:
    """A copy of the tree where every `safe_<type>(x) as col` projection also selects `x` as `__raw__col`.

    Returns the tree and {column: cast type}. The runner compares each column with its raw text to find the values
    that were present but did not parse (the automatic `<column>_parseable` rules).
    """
    tree = tree.copy()
    casts: dict[str, str] = {}
    for select in tree.find_all(exp.Select):
        extra = []
        for projection in select.expressions:
            if isinstance(projection, exp.Alias):
                name = macro_name(projection.this)
                if name in SAFE_CASTS and name != "safe_text":
                    column = projection.alias
                    casts[column] = CAST_TYPES[name]
                    raw = sqlglot.parse_one(_T.format(x=f"({projection.this.expressions[0].sql(dialect='postgres')})"),
                                            read="postgres")
                    extra.append(exp.alias_(raw, RAW_PREFIX + column, quoted=True))
        if extra:
            select.set("expressions", [*select.expressions, *extra])
    return tree, casts
