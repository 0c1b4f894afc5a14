"""Small SQL text helpers shared by both backends: identifiers and `?` placeholders."""

from __future__ import annotations

import re

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class WarehouseError(RuntimeError):
    """A warehouse operation was refused or failed; the message names the table."""


def split_table(table: str) -> tuple[str, str]:
    """``"mart.fct_order"`` -> ``("mart", "fct_order")``; unqualified names mean ``main``/``public``."""
    parts = table.split(".")
    if len(parts) == 1:
        parts = ["", parts[0]]
    if len(parts) != 2 or not all(_NAME.match(p) for p in parts if p) or not parts[1]:
        raise WarehouseError(f"not a plain table name: {table!r}")
    return parts[0], parts[1]


def quote(name: str) -> str:
    if not _NAME.match(name):
        raise WarehouseError(f"not a plain identifier: {name!r}")
    return f'"{name}"'


def qualified(table: str) -> str:
    schema, name = split_table(table)
    return f"{quote(schema)}.{quote(name)}" if schema else quote(name)


def qmark_to_format(sql: str) -> str:
    """Rewrite ``?`` placeholders to psycopg's ``%s`` (and ``%`` to ``%%``): one SQL text serves
    both dialects, and DuckDB binds only ``?``/``$n`` while psycopg binds only ``%s``.

    Quoted strings, quoted identifiers, dollar-quoted bodies and comments are left alone.
    """
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            end = sql.find(c, i + 1)
            while end != -1 and end + 1 < n and sql[end + 1] == c:  # doubled quote inside
                end = sql.find(c, end + 2)
            end = n if end == -1 else end + 1
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end == -1 else end + 2
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif c == "$" and (m := re.match(r"\$[A-Za-z_]*\$", sql[i:])):
            tag = m.group(0)
            end = sql.find(tag, i + len(tag))
            end = n if end == -1 else end + len(tag)
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        else:
            out.append("%s" if c == "?" else "%%" if c == "%" else c)
            i += 1
    return "".join(out)
