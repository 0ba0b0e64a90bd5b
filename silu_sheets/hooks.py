"""The kind contract: what a kind module provides besides its declaration, and when the pipeline
calls each part. Every module in ``silu_sheets/kinds/`` ends with ``HOOKS = Hooks(...)``; the
pipeline calls them as they are typed here, never probing a module for what it has.

For one form, in this order (one transaction, see ``silu_sheets/pipeline.py``):

1. ``check(doc, view, ctx)`` — recording or amending: every problem at once, as data;
   ``check_cancel(doc, view, ctx)`` — cancelling: what this kind's own state forbids.
   Then the draw-down engine (``draws``, ``silu_sheets/drawdown.py``) measures both ways.
2. ``book(doc, docno, writer, ctx)`` — recording or amending, before the document's rows are
   written: effects beyond them (masters, stock, money) and values the form left to others;
   ``on_cancel(doc, docno, writer, ctx)`` — cancelling: take those effects back.
3. the document's rows; ``after_record(gw, ctx, doc, docno, writer)`` — what needs the firm's
   settings or roster (an issue slip applies balances where silu.toml says so).
4. the open items of the document and what it draws on (``silu_sheets/open_items.py``).
5. the confirmation: ``confirmation_facts(doc, docno, view, ctx)`` (lines of text) and
   ``next_forms(doc, docno, view)`` (``NextForm``: pre-filled forms the sender may send);
   then ``more_replies(doc, docno, action, writer, ctx, roster)`` (copies for others).

``status(view, doc, prices)`` is the kind's section of ``silu status`` (``prices=False``: the
view of someone who must not see prices); ``status_elsewhere(view, doc, prices)`` its section
on the status of other documents (a delivery receipt on its slip, notice and contract), with a
``text`` entry ({"zh": [...], "en": [...]}) for people.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from silu_sheets.document import Context, Document
    from silu_sheets.drawdown import DrawsOn
    from silu_sheets.ledger.store import LedgerView, LedgerWriter
    from silu_sheets.pipeline import Gateway
    from silu_sheets.problems import Problem
    from silu_sheets.replies import Reply
    from silu_sheets.roster import Roster


class NextForm(NamedTuple):
    """A form the confirmation carries pre-filled: its kind, header values and lines."""

    kind: str
    header: Mapping[str, Any]
    lines: Sequence[Mapping[str, Any]] = ()


Check = Callable[["Document", "LedgerView", "Context"], "list[Problem]"]
Book = Callable[["Document", str, "LedgerWriter", "Context"], None]
AfterRecord = Callable[["Gateway", "Context", "Document", str, "LedgerWriter"], Any]
NextForms = Callable[["Document", str, "LedgerView"], "list[NextForm]"]
Facts = Callable[["Document", str, "LedgerView", "Context"], "list[str]"]
MoreReplies = Callable[["Document", str, str, "LedgerWriter", "Context", "Roster"], "list[Reply]"]
StatusSection = Callable[["LedgerView", dict, bool], dict]


def no_problems(doc: Document, view: LedgerView, ctx: Context) -> list[Problem]:
    return []


def no_effects(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    return None


def nothing_after(
    gw: Gateway, ctx: Context, doc: Document, docno: str, writer: LedgerWriter
) -> None:
    return None


def no_forms(doc: Document, docno: str, view: LedgerView) -> list[NextForm]:
    return []


def no_facts(doc: Document, docno: str, view: LedgerView, ctx: Context) -> list[str]:
    return []


def no_replies(
    doc: Document, docno: str, action: str, writer: LedgerWriter, ctx: Context, roster: Roster
) -> list[Reply]:
    return []


def no_section(view: LedgerView, doc: dict, prices: bool) -> dict:
    return {}


class Hooks(NamedTuple):
    """A kind's rules and effects (see the module docstring for when each is called)."""

    check: Check
    check_cancel: Check = no_problems
    book: Book = no_effects
    on_cancel: Book = no_effects
    after_record: AfterRecord = nothing_after
    next_forms: NextForms = no_forms
    confirmation_facts: Facts = no_facts
    more_replies: MoreReplies = no_replies
    status: StatusSection = no_section
    #: its section on the status of the documents it draws on, up the chain
    status_elsewhere: StatusSection = no_section
    #: what its lines draw on, never more than remains (``silu_sheets/drawdown.py``)
    draws: tuple[DrawsOn, ...] = ()
