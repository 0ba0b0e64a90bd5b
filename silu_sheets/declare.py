"""How a document kind is declared: fields, line tables, and where each sits on the sheet.

One declaration per kind (see ``silu_sheets/kinds/``) drives the blank template, the reader,
the field checks, ``silu describe`` and the reply wording. Nothing else lists a kind's fields.

The records are NamedTuples, not frozen dataclasses: every ``silu`` command that reads a form
declares the kinds first, and Python 3.11 takes ~0.5 ms to make each frozen dataclass (it
compiles its methods from source) against ~0.1 ms for a NamedTuple.
"""

# no `from __future__ import annotations`: typing would compile each NamedTuple field's
# annotation from its text on every silu call (README, Start-up)
from typing import Literal, NamedTuple

FieldType = Literal[
    "text",
    "code",
    "date",
    "quantity",
    "money",
    "cost",
    "integer",
    "choice",
    "docno",
    "email",
    "phone",
    "bool",
]

#: Fields carrying these types (or flagged ``priced``) never reach a warehouse.
PRICE_TYPES = frozenset({"money"})


class Choice(NamedTuple):
    """One allowed value: the stored key and what people see (zh / en)."""

    key: str
    zh: str
    en: str

    @property
    def shown(self) -> str:
        """The text offered in the dropdown; the reader accepts it, the key, zh or en alone."""
        return f"{self.zh} {self.en}"

    def label(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


class Field(NamedTuple):
    """One input: a header cell or a line-table column."""

    key: str
    zh: str
    en: str
    type: FieldType = "text"
    required: bool = False
    choices: tuple[Choice, ...] = ()
    hint_zh: str = ""
    hint_en: str = ""
    #: the kind a ``docno`` field refers to (``"inquiry"``), for links and pre-filling
    refers_to: str | None = None
    #: minimum allowed for numbers (``0`` for quantities); ``None`` means no floor
    minimum: int | None = 0

    def label(self, language: str) -> str:
        return self.zh if language == "zh" else self.en

    @property
    def priced(self) -> bool:
        return self.type in PRICE_TYPES

    def choice(self, key: str) -> Choice | None:
        return next((c for c in self.choices if c.key == key), None)


class LineTable(NamedTuple):
    """The repeated lines of a form (products, notice lines, …)."""

    key: str
    zh: str
    en: str
    columns: tuple[Field, ...]
    max_rows: int = 200
    #: kept for readers of the declaration: the columns that identify a line
    key_columns: tuple[str, ...] = ()
    #: whether a form needs at least one line
    required: bool = True

    def column(self, key: str) -> Field:
        return next(c for c in self.columns if c.key == key)


class Kind(NamedTuple):
    """A document kind: its numbering prefix, header fields and optional line table."""

    key: str
    zh: str
    en: str
    prefix: str
    version: int
    header: tuple[Field, ...]
    lines: LineTable | None = None
    #: oldest template version the reader still accepts
    oldest_version: int = 1
    #: master-data workbooks upsert by code and carry no document number
    master: bool = False
    #: the roles that may send it by default; a firm's roles.toml that names the kind decides
    senders: tuple[str, ...] = ()
    #: the kinds whose documents are written by the warehouse carry no price by construction
    hint_zh: str = ""
    hint_en: str = ""

    @property
    def layout(self) -> "Layout":
        """Where each field sits on the sheet, worked out once per kind."""
        found = _LAYOUTS.get(self)
        if found is None:
            found = _LAYOUTS[self] = Layout.of(self)
        return found

    def __hash__(self) -> int:
        """By key and version (what tells two kinds apart): the caches keyed by a kind (its
        blank, its bounds) hashed every field of it, ~30 nested hashes a call."""
        return hash((self.key, self.version))

    def title(self, language: str) -> str:
        return self.zh if language == "zh" else self.en

    @property
    def sheet(self) -> str:
        """The visible sheet's name: the Chinese title, which every office suite keeps as is."""
        return self.zh

    def field(self, key: str) -> Field:
        for f in self.header:
            if f.key == key:
                return f
        if self.lines:
            for c in self.lines.columns:
                if c.key == key:
                    return c
        raise KeyError(f"{self.key} has no field {key!r}")

    @property
    def priced(self) -> bool:
        fields = list(self.header) + list(self.lines.columns if self.lines else ())
        return any(f.priced for f in fields)


# --- layout -------------------------------------------------------------------------------
# Row 1 title, row 2 how to fill it, header fields from row 4 (label in A, value in B), one
# blank row, then the line table's column labels and its data rows. The reader, the writer,
# ``describe`` and the problem locations all take positions from here.
TITLE_ROW = 1
HINT_ROW = 2
FIRST_HEADER_ROW = 4
LABEL_COLUMN = "A"
VALUE_COLUMN = "B"


def column_letter(number: int) -> str:
    """Excel's name for column ``number`` (1 → A, 27 → AA). Kinds are declared on every start,
    and importing openpyxl for this costs ~0.2 s."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class Layout(NamedTuple):
    header_cells: dict[str, str]
    line_header_row: int | None
    first_line_row: int | None
    last_line_row: int | None
    line_columns: dict[str, str]
    #: the form's last column (at least C); the one after it holds the on-screen notes
    #: (instructions, each field's hint) outside the print area
    last_column: int = 3

    @property
    def notes_column(self) -> str:
        return column_letter(self.last_column + 1)

    @staticmethod
    def of(kind: Kind) -> "Layout":
        cells = {f.key: f"{VALUE_COLUMN}{FIRST_HEADER_ROW + i}" for i, f in enumerate(kind.header)}
        if not kind.lines:
            return Layout(cells, None, None, None, {})
        header_row = FIRST_HEADER_ROW + len(kind.header) + 1
        columns = {c.key: column_letter(i + 1) for i, c in enumerate(kind.lines.columns)}
        first = header_row + 1
        last = first + kind.lines.max_rows - 1
        return Layout(cells, header_row, first, last, columns, max(3, len(columns)))

    def line_cell(self, column: str, row: int) -> str:
        return f"{self.line_columns[column]}{row}"


#: each kind's layout (``Kind.layout``), worked out when first asked for
_LAYOUTS: dict[Kind, Layout] = {}


# --- short constructors used by the kind modules ------------------------------------------
def text(key: str, zh: str, en: str, *, required: bool = False, **kw: object) -> Field:
    return Field(key, zh, en, "text", required, **kw)  # type: ignore[arg-type]


def code_field(key: str, zh: str, en: str, *, required: bool = False, **kw: object) -> Field:
    """A code (customer, product, warehouse, lot): matched without regard to case or width."""
    return Field(key, zh, en, "code", required, **kw)  # type: ignore[arg-type]


def customer_field(*, required: bool = True, **kw: object) -> Field:
    return code_field("customer_code", "客户编号", "Customer code", required=required, **kw)


def product_field(*, required: bool = True, **kw: object) -> Field:
    return code_field("product_code", "产品编号", "Product code", required=required, **kw)


def lot_field(zh: str = "批号", en: str = "Lot", *, required: bool = False, **kw: object) -> Field:
    return code_field("lot", zh, en, required=required, **kw)


def warehouse_field(
    zh: str = "仓库编号", en: str = "Warehouse", *, required: bool = True, **kw: object
) -> Field:
    return code_field("warehouse", zh, en, required=required, **kw)


def salesperson_field() -> Field:
    """Whose document it is; empty means the sender (a manager may name another)."""
    return email(
        "salesperson",
        "业务员邮箱",
        "Salesperson's email",
        hint_zh="留空即为发件人本人。",
        hint_en="Empty means the sender.",
    )


def date(key: str, zh: str, en: str, *, required: bool = False, **kw: object) -> Field:
    return Field(key, zh, en, "date", required, **kw)  # type: ignore[arg-type]


def quantity(key: str, zh: str, en: str, *, required: bool = False, **kw: object) -> Field:
    return Field(key, zh, en, "quantity", required, **kw)  # type: ignore[arg-type]


def money(key: str, zh: str, en: str, *, required: bool = False, **kw: object) -> Field:
    return Field(key, zh, en, "money", required, **kw)  # type: ignore[arg-type]


def cost(key: str, zh: str, en: str, *, required: bool = False, **kw: object) -> Field:
    """A warehouse's own small expense (handling, 杂费): an amount, but never a selling price."""
    return Field(key, zh, en, "cost", required, **kw)  # type: ignore[arg-type]


def integer(key: str, zh: str, en: str, *, required: bool = False, **kw: object) -> Field:
    return Field(key, zh, en, "integer", required, **kw)  # type: ignore[arg-type]


def choice(
    key: str, zh: str, en: str, choices: tuple[Choice, ...], *, required: bool = False, **kw: object
) -> Field:
    return Field(key, zh, en, "choice", required, choices=choices, **kw)  # type: ignore[arg-type]


def docno(
    key: str, zh: str, en: str, refers_to: str, *, required: bool = False, **kw: object
) -> Field:
    return Field(key, zh, en, "docno", required, refers_to=refers_to, **kw)  # type: ignore[arg-type]


def email(key: str, zh: str, en: str, *, required: bool = False, **kw: object) -> Field:
    return Field(key, zh, en, "email", required, **kw)  # type: ignore[arg-type]


def phone(key: str, zh: str, en: str, *, required: bool = False, **kw: object) -> Field:
    return Field(key, zh, en, "phone", required, **kw)  # type: ignore[arg-type]


def yes_no(key: str, zh: str, en: str, *, required: bool = False, **kw: object) -> Field:
    return Field(key, zh, en, "bool", required, **kw)  # type: ignore[arg-type]


# Every document form starts with these: its number (empty on a new form) and the explicit
# cancellation. Master workbooks carry neither.
def document_header(*fields: Field) -> tuple[Field, ...]:
    return (
        Field(
            "docno",
            "单号",
            "Number",
            "docno",
            hint_zh="新单留空，系统登记后给号；填写已有单号即修改该单。",
            hint_en="Leave empty on a new form; the number is given when recorded. "
            "Fill an existing number to amend it.",
        ),
        choice(
            "action",
            "操作",
            "Action",
            (
                Choice("record", "登记或修改", "record or amend"),
                Choice("cancel", "作废", "cancel"),
            ),
            hint_zh="留空即登记或修改；选“作废”并填写作废原因即作废该单。",
            hint_en="Empty means record or amend; choose cancel and give a reason to cancel.",
        ),
        text("cancel_reason", "作废原因", "Reason for cancelling"),
        *fields,
    )


def line_no(key: str, zh: str, en: str, **kw: object) -> Field:
    """The number of a line on the document this one is written against (pre-filled)."""
    return Field(key, zh, en, "integer", minimum=1, **kw)  # type: ignore[arg-type]


def currency_field() -> Field:
    return text(
        "currency",
        "币种",
        "Currency",
        hint_zh="如 CNY、USD；留空为公司默认币种。",
        hint_en="e.g. CNY, USD; empty means the firm's default currency.",
    )
