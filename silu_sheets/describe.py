"""The machine-readable spec of a form (``silu describe KIND --json``): other programs fill
forms from it, so every cell position comes from the same layout the reader uses."""

from __future__ import annotations

from silu_sheets.declare import Field, Kind


def field_spec(f: Field) -> dict:
    spec: dict = {
        "key": f.key,
        "labels": {"zh": f.zh, "en": f.en},
        "type": f.type,
        "required": f.required,
    }
    if f.choices:
        spec["choices"] = [{"key": c.key, "zh": c.zh, "en": c.en, "shown": c.shown} for c in f.choices]
    if f.type == "bool":
        spec["choices"] = [{"key": "yes", "shown": "是 yes"}, {"key": "no", "shown": "否 no"}]
    if f.refers_to:
        spec["refers_to"] = f.refers_to
    if f.hint_zh or f.hint_en:
        spec["hints"] = {"zh": f.hint_zh, "en": f.hint_en}
    return spec


def describe(kind: Kind) -> dict:
    layout = kind.layout
    spec: dict = {
        "kind": kind.key,
        "version": kind.version,
        "titles": {"zh": kind.zh, "en": kind.en},
        "number_prefix": kind.prefix,
        "master": kind.master,
        "sheet": kind.sheet,
        "fields": [field_spec(f) | {"cell": layout.header_cells[f.key]} for f in kind.header],
        "line_tables": [],
    }
    if kind.lines:
        spec["line_tables"].append(
            {
                "key": kind.lines.key,
                "labels": {"zh": kind.lines.zh, "en": kind.lines.en},
                "sheet": kind.sheet,
                "header_row": layout.line_header_row,
                "first_data_row": layout.first_line_row,
                "max_rows": kind.lines.max_rows,
                "required": kind.lines.required,
                "columns": [field_spec(c) | {"column": layout.line_columns[c.key]} for c in kind.lines.columns],
            }
        )
    return spec
