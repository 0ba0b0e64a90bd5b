"""The company memo (备忘录): standard answers every salesperson gives — company size, business
scope, mission… Kept by the office in one workbook, ``memo.xlsx`` in the firm folder (sheet
“备忘录”, columns topic / 中文答复 / English answer), so it is edited in Excel like everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from silu_sheets.workbook import cells

MEMO_FILE = "memo.xlsx"
SHEET = "备忘录"
#: rows of the memo read at most
MEMO_ROWS = 5000
HEADER = ("主题 Topic", "中文答复 Answer (zh)", "English answer")
EXAMPLES = (
    (
        "公司规模 company size",
        "公司现有员工 80 人，其中技术人员 20 人，厂房 6000 平方米。",
        "We employ 80 people, 20 of them engineers, in a 6,000 m² plant.",
    ),
    (
        "经营范围 business scope",
        "紧固件及五金配件的生产、销售与进出口。",
        "Manufacture, sale, import and export of fasteners and hardware.",
    ),
    (
        "企业使命 mission",
        "让每一颗螺栓都准时、合格地到达客户手中。",
        "Every bolt on time and to specification at the customer's door.",
    ),
)


@dataclass(frozen=True)
class MemoEntry:
    topic: str
    zh: str
    en: str

    def answer(self, language: str) -> str:
        return (self.zh or self.en) if language == "zh" else (self.en or self.zh)


def memo_path(firm_root: Path) -> Path:
    return Path(firm_root) / MEMO_FILE


def write_example(path: Path) -> Path:
    """A memo workbook with the three columns and example answers, for the office to edit."""
    from openpyxl import Workbook  # only here: reading the memo must not pay openpyxl's import

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(HEADER)
    for row in EXAMPLES:
        ws.append(row)
    for column, width in zip("ABC", (28, 60, 60), strict=True):
        ws.column_dimensions[column].width = width
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def load_memo(firm_root: Path) -> list[MemoEntry]:
    """Every filled row of the memo (empty when the firm has no memo.xlsx yet)."""
    path = memo_path(firm_root)
    if not path.exists():
        return []
    # read like a form: only the three columns, however far a stray keystroke landed
    book = cells.Workbook(path.read_bytes())
    name = SHEET if SHEET in book.sheet_names else book.sheet_names[0]
    sheet = book.sheet(name, cells.Bounds(MEMO_ROWS, 3))
    entries = []
    for row in range(1, max((r for r, _ in sheet.values), default=0) + 1):
        found = [_text(sheet.get(row, column)) for column in (1, 2, 3)]
        if row == 1 and found[0].startswith("主题"):
            continue
        if found[0] and (found[1] or found[2]):
            entries.append(MemoEntry(*found))
    return entries


def _text(value: object) -> str:
    """A cell as the office typed it (a whole number stored as 80.0 reads 80)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def find(entries: list[MemoEntry], topic: str | None) -> list[MemoEntry]:
    """Entries whose topic contains ``topic`` (case-insensitive); all of them when none given."""
    if not topic:
        return entries
    key = topic.strip().lower()
    return [e for e in entries if key in e.topic.lower()]


def memo(firm_root: Path, topic: str | None = None) -> list[MemoEntry]:
    """The memo's answers for ``topic`` (or all), read from the firm's memo.xlsx."""
    return find(load_memo(firm_root), topic)
