"""Parsing mail the way real clients write it: every name encoding, forwarded forms, files that
are not forms, automatic mail that must never be answered, and whose authentication counts."""

from __future__ import annotations

import email
import email.message
import hashlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from silu_sheets import replies
from silu_sheets.api import fill_form
from silu_sheets.mail import message
from tests.mail import eml

SALES = "li.na@firm.test"
FORMS = "forms@firm.test"
NAME = "报价单-华东机电（第2版）.xlsx"


@pytest.fixture(scope="module")
def form_bytes() -> bytes:
    return fill_form("inquiry", {"customer_name": "华东机电有限公司"})


@pytest.mark.parametrize(
    "param",
    [
        pytest.param(eml.name_rfc2231(NAME), id="rfc2231-utf8"),
        pytest.param(eml.name_rfc2231(NAME, "gb18030"), id="rfc2231-gb18030"),
        pytest.param(eml.name_rfc2231_continued(NAME * 2), id="rfc2231-continued"),
        pytest.param(eml.name_rfc2047(NAME, "gb18030"), id="rfc2047-gb18030"),
        pytest.param(
            eml.name_rfc2047(NAME, "gbk", label="gb2312"), id="rfc2047-gbk-labelled-gb2312"
        ),
        pytest.param(eml.name_rfc2047(NAME, "utf-8"), id="rfc2047-utf8"),
        pytest.param(eml.name_raw(NAME, "utf-8"), id="raw-8bit-utf8"),
        pytest.param(eml.name_raw(NAME, "gb18030"), id="raw-8bit-gbk"),
    ],
)
def test_attachment_names_in_every_encoding(param: bytes, form_bytes: bytes) -> None:
    raw = eml.mail(SALES, FORMS, "询价", [eml.part(form_bytes, param)])
    incoming = message.parse(raw)
    expected = NAME * 2 if b"filename*0*" in param else NAME
    assert [f.name for f in incoming.forms] == [expected]
    assert incoming.forms[0].sha256 == hashlib.sha256(form_bytes).hexdigest()
    assert incoming.ignored == []
    assert incoming.sender == SALES
    assert incoming.automatic is None


def test_subject_in_rfc2047_gbk_and_sender_name(form_bytes: bytes) -> None:
    raw = eml.with_form(f"李娜 <{SALES}>", FORMS, form_bytes, "a.xlsx", subject="请登记 询价单")
    incoming = message.parse(raw)
    assert incoming.subject == "请登记 询价单"
    assert incoming.sender_name == "李娜"
    assert incoming.has_message_id and incoming.message_id.endswith("@firm.test>")


def test_forwarded_form_counts_and_other_files_are_ignored(form_bytes: bytes) -> None:
    inner = eml.mail(
        "customer@example.com",
        SALES,
        "our inquiry",
        [
            eml.part(form_bytes, eml.name_rfc2231("客户询价.xlsx")),
            eml.part(b"%PDF-1.4 fake", eml.name_rfc2231("catalogue.pdf"), "application/pdf"),
        ],
    )
    raw = eml.forwarded(SALES, FORMS, inner)
    raw = raw.replace(b"--\r\n", b"--\r\n", 1)
    outer = eml.mail(
        SALES,
        FORMS,
        "Fwd",
        [
            b"Content-Type: message/rfc822\r\n\r\n" + inner,
            eml.part(b"\x89PNG fake", eml.name_raw("signature.png"), "image/png"),
        ],
    )
    for mail_bytes, ignored in (
        (raw, ["catalogue.pdf"]),
        (outer, ["catalogue.pdf", "signature.png"]),
    ):
        incoming = message.parse(mail_bytes)
        assert [f.name for f in incoming.forms] == ["客户询价.xlsx"]
        assert incoming.forms[0].data == form_bytes
        assert incoming.ignored == ignored
        assert incoming.sender == SALES  # the forwarder, not the customer


def test_xlsx_without_a_name_is_still_a_form(form_bytes: bytes) -> None:
    raw = eml.mail(SALES, FORMS, "x", [eml.part(form_bytes, b"size=1")])
    assert [f.name for f in message.parse(raw).forms] == ["form.xlsx"]


def test_xls_and_xlsm_are_forms_by_name(form_bytes: bytes) -> None:
    raw = eml.mail(
        SALES,
        FORMS,
        "x",
        [
            eml.part(b"old", eml.name_raw("old.xls"), "application/octet-stream"),
            eml.part(b"macro", eml.name_raw("macro.XLSM"), "application/octet-stream"),
            eml.part(b"doc", eml.name_raw("note.docx"), "application/octet-stream"),
        ],
    )
    incoming = message.parse(raw)
    assert [f.name for f in incoming.forms] == ["old.xls", "macro.XLSM"]
    assert incoming.ignored == ["note.docx"]


def test_a_person_writing_is_not_automatic(form_bytes: bytes) -> None:
    raw = eml.with_form(SALES, FORMS, form_bytes, "a.xlsx", headers={"Auto-Submitted": "no"})
    assert message.parse(raw, own_addresses=(FORMS,)).automatic is None


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto-reply"),
        ({"Auto-Submitted": "auto-generated; owner-email=x@firm.test"}, "auto-reply"),
        ({"Precedence": "bulk"}, "bulk"),
        ({"Precedence": "junk"}, "bulk"),
        ({"Precedence": "list"}, "bulk"),
        ({"X-Autoreply": "yes"}, "auto-reply"),
        ({"Return-Path": "<>"}, "bounce"),
    ],
)
def test_automatic_mail_is_recognised(headers: dict, reason: str, form_bytes: bytes) -> None:
    raw = eml.with_form(SALES, FORMS, form_bytes, "a.xlsx", headers=headers)
    assert message.parse(raw).automatic == reason


def test_bounces_and_our_own_mail(form_bytes: bytes) -> None:
    original = eml.with_form(FORMS, "gone@example.com", form_bytes, "a.xlsx")
    assert message.parse(eml.bounce(FORMS, original)).automatic == "bounce"
    assert (
        message.parse(eml.with_form("postmaster@firm.test", FORMS, form_bytes, "a.xlsx")).automatic
        == "bounce"
    )
    assert message.parse(
        eml.with_form(FORMS, FORMS, form_bytes, "a.xlsx"), own_addresses=(FORMS,)
    ).automatic == ("own-address")


def test_only_our_servers_authentication_results_count(form_bytes: bytes) -> None:
    def parsed(*results: str) -> message.Incoming:
        raw = eml.with_form(SALES, FORMS, form_bytes, "a.xlsx")
        head = b"".join(f"Authentication-Results: {r}\r\n".encode() for r in results)
        return message.parse(head + raw)

    ours = "mx.firm.test"
    assert parsed(
        f"{ours}; spf=pass smtp.mailfrom=firm.test; dmarc=pass header.from=firm.test"
    ).authenticated(ours)
    assert parsed(f"{ours}; auth=pass smtp.auth=li.na").authenticated(ours)
    assert not parsed(
        f"{ours}; spf=fail smtp.mailfrom=firm.test; dmarc=fail header.from=firm.test"
    ).authenticated(ours)
    # DMARC decides even when SPF passed for another domain
    assert not parsed(
        f"{ours}; spf=pass smtp.mailfrom=evil.test; dmarc=fail header.from=firm.test"
    ).authenticated(ours)
    # a header the sender wrote himself, claiming another server's pass, counts for nothing
    forged = parsed("mx.evil.test; spf=pass; dmarc=pass", f"{ours}; dmarc=fail")
    assert forged.authenticated(ours) is False
    assert parsed("mx.evil.test; dmarc=pass").authenticated(ours) is False
    # nothing to check when no authserv-id is configured
    assert parsed("mx.evil.test; dmarc=fail").authenticated(None) is None
    # server ids compare without case
    assert parsed("MX.Firm.Test; dmarc=pass").authenticated(ours)


def test_missing_message_id_gets_a_stable_stand_in(form_bytes: bytes) -> None:
    raw = eml.with_form(SALES, FORMS, form_bytes, "a.xlsx")
    raw = b"\r\n".join(
        line for line in raw.split(b"\n") if not line.lower().startswith(b"message-id")
    )
    a, b = message.parse(raw), message.parse(raw)
    assert not a.has_message_id
    assert a.message_id == b.message_id and a.message_id.endswith("@silu-sheets.invalid>")


def test_malformed_mail_never_raises() -> None:
    incoming = message.parse(
        b"From: =?bogus?Q?x?= <li.na@firm.test>\r\nSubject: =?gb2312?B?!!!?=\r\n\r\nbody"
    )
    assert incoming.sender == "li.na@firm.test"
    assert incoming.forms == []


def test_raw_8bit_subject_and_sender_name(form_bytes: bytes) -> None:
    raw = eml.with_form(SALES, FORMS, form_bytes, "a.xlsx", subject="x")
    raw = raw.replace(b"Subject: x", "Subject: 模板 报价单".encode("gb18030"))
    raw = raw.replace(f"From: {SALES}".encode(), f"From: 李娜 <{SALES}>".encode())
    incoming = message.parse(raw)
    assert incoming.subject == "模板 报价单"
    assert (incoming.sender_name, incoming.sender) == ("李娜", SALES)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"=", b" ", b"\t", b"\r", b"\n", b"\r\n", b" \r\n"])))
def test_line_ends_made_alike_as_the_rule_says(pieces: list[bytes]) -> None:
    """A mail's content key drops each line's trailing blanks and CR, then trailing white
    space: the fast path gives exactly what the rule's expression gives (keys already in a
    ledger must not change)."""
    body = b"".join(pieces)
    assert message.same_line_ends(body) == re.sub(rb"[ \t]*\r?\n", b"\n", body).rstrip()


def test_the_same_mail_keeps_its_content_key(form_bytes: bytes) -> None:
    """Copies that differ only in line ends and trailing blanks are one mail; another body is
    another mail."""
    raw = eml.mail(SALES, FORMS, "询价", [eml.part(form_bytes, eml.name_rfc2231(NAME))])
    head, _, body = raw.partition(b"\r\n\r\n")
    lf = head.replace(b"\r\n", b"\n") + b"\n\n" + body.replace(b"\r\n", b" \n") + b"\n\n"
    assert message.parse(lf).key == message.parse(raw).key
    other = head + b"\r\n\r\n" + body.replace(b"\r\n", b"\r\n ", 1)
    assert message.parse(other).key != message.parse(raw).key


def shape(msg: email.message.Message) -> tuple:
    """All that ``message.parse`` reads of a parsed mail: headers as sent, content types,
    parameters, and each leaf's payload, raw and decoded."""
    if msg.is_multipart():
        inside: object = [shape(sub) for sub in msg.get_payload()]
    else:
        inside = (msg.get_payload(), msg.get_payload(decode=True))
    return (list(msg.raw_items()), msg.get_content_type(), msg.get_params(), inside)


def edge_cases(form_bytes: bytes) -> dict[str, bytes]:
    """Mails the stdlib's parser reads in its own ways: each must read the same either way."""
    plain = eml.mail(SALES, FORMS, "x", [eml.part(form_bytes, eml.name_rfc2231("a.xlsx"))])
    boundary = re.search(rb'boundary="([^"]+)"', plain)[1]  # type: ignore[index]
    line, close = b"--" + boundary + b"\r\n", b"--" + boundary + b"--\r\n"
    head, _, body = plain.partition(b"\r\n\r\n")
    reply = replies.as_mail(
        replies.Reply(
            SALES,
            "已登记 报价单",
            "文字\n",
            "<p>文字</p>",
            "confirmation",
            attachments=[replies.Attachment("报价单.xlsx", form_bytes)],
        ),
        FORMS,
        "示例公司",
        in_reply_to="<a@b>",
    )
    return {
        "plain": plain,
        "lf": plain.replace(b"\r\n", b"\n"),
        "thunderbird": eml.with_form(SALES, FORMS, form_bytes, "报价.xlsx"),
        "our-reply": reply,
        "our-reply-crlf": reply.replace(b"\n", b"\r\n"),
        "gbk-name": eml.mail(SALES, FORMS, "x", [eml.part(form_bytes, eml.name_rfc2047(NAME))]),
        "raw-name": eml.mail(SALES, FORMS, "x", [eml.part(form_bytes, eml.name_raw(NAME))]),
        "forwarded": eml.forwarded(SALES, FORMS, plain),
        "bounce": eml.bounce(FORMS, plain),
        "preamble-epilogue": head + b"\r\n\r\nthis is a preamble\r\n" + body + b"epilogue\r\n",
        "blanks-after-boundary": plain.replace(line, line[:-2] + b" \t\r\n", 1),
        "no-closing-line": plain.replace(close, b""),
        "closing-line-then-more": plain + line + b"Content-Type: text/plain\r\n\r\nmore\r\n",
        "empty-part": plain.replace(line, line + line, 1),
        "boundary-inside-text": plain.replace(
            line, line + b"\r\n" + b"--" + boundary + b"x\r\n", 1
        ),
        # a bare CR ends a line for the stdlib: here the line of the last part's boundary
        "bare-cr": (b"\r" + line).join(plain.rsplit(b"\r\n" + line, 1)),
        "no-blank-line": b"From: a@b\r\nSubject: x\r\nbody without a blank line\r\n",
        "headers-only": b"From: a@b\r\nSubject: x\r\n",
        "part-without-headers": plain.replace(line, line + b"\r\n", 1),
        "mbox-from-line": b"From a@b Mon Nov 30 00:00:00 2026\r\n" + plain,
        "no-boundary": plain.replace(b'; boundary="' + boundary + b'"', b""),
        "digest": plain.replace(b"multipart/mixed", b"multipart/digest"),
        "folded-headers": plain.replace(b"Subject: x", b"Subject: x\r\n  and more\r\n\tstill"),
        "8bit-subject": plain.replace(b"Subject: x", "Subject: 模板".encode("gb18030")),
        "no-trailing-newline": plain.rstrip(b"\r\n"),
        "text-only": b"From: a@b\r\nSubject: x\r\n\r\nhello\r\n",
        "many-boundaries": plain.replace(b"\r\n\r\n", b"\r\n\r\nx" + line[:-2] * 600 + b"\r\n", 2),
    }


def test_a_mail_reads_as_the_stdlib_reads_it(form_bytes: bytes) -> None:
    """``message.read`` cuts a plain multipart at its boundary lines itself (the stdlib's parser
    walks every line in Python): what it reads is what ``email.message_from_bytes`` reads, and
    every mail it would read otherwise goes to the stdlib whole. Ours, Thunderbird's and the
    test clients' mails take the fast way."""
    cases = edge_cases(form_bytes)
    for name, raw in cases.items():
        assert shape(message.read(raw)) == shape(email.message_from_bytes(raw)), name
    for name in ("plain", "lf", "thunderbird", "our-reply", "our-reply-crlf", "gbk-name"):
        assert message._cut(cases[name]) is not None, name
    for name in (
        "forwarded",
        "bounce",
        "blanks-after-boundary",
        "no-closing-line",
        "empty-part",
        "many-boundaries",
    ):
        assert message._cut(cases[name]) is None, name


#: what a sender's client or a hostile sender may put where a multipart's structure is read
PIECES = [
    b"\r\n",
    b"\n",
    b"\r",
    b" ",
    b"\t",
    b"--",
    b"--b1",
    b"--b1--",
    b"--b2",
    b"Content-Type: text/plain\r\n",
    b"Content-Type: multipart/mixed; boundary=b2\r\n",
    b"Content-Type: message/rfc822\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"From x\r\n",
    b"X: \xe4\xb8\xad\r\n",
    b"aGVsbG8=",
    b"text",
]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(
        [
            b'boundary="b1"',
            b"boundary=b1",
            b"boundary*=utf-8''%E4%B8%AD",  # a boundary no ASCII byte string can be
            b"boundary*=utf-8''b1",
            b'boundary="\xe4\xb8\xad"',
            b'boundary=""',
        ]
    ),
    st.lists(st.sampled_from(PIECES), max_size=40),
)
def test_any_multipart_reads_as_the_stdlib_reads_it(parameter: bytes, pieces: list[bytes]) -> None:
    """Whatever a sender writes after a multipart's headers, ``message.read`` never raises and
    reads what ``email.message_from_bytes`` reads (it may always hand the mail to the stdlib)."""
    raw = (
        b"From: a@b\r\nSubject: x\r\nContent-Type: multipart/mixed; "
        + parameter
        + b"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
        + b"".join(pieces)
        + b"\r\n--b1--\r\n"
    )
    assert shape(message.read(raw)) == shape(email.message_from_bytes(raw))


#: the pieces the mails below are built of: the plain ones, and the oddities the stdlib's parser
#: reads its own way (a bare CR, blanks or text after a boundary, a header line that is no
#: header, a body line that looks like a boundary or an mbox line)
ENDS, ODD_ENDS = [b"\r\n", b"\n"], [b"\r"]
AFTER_BOUNDARY, ODD_AFTER = [b""], [b" ", b"\t", b"x", b"--"]
HEADERS = [
    b"Content-Transfer-Encoding: base64",
    b'Content-Disposition: attachment; filename="a.xlsx"',
    b"Content-Disposition: attachment;\r\n filename*=utf-8''%E6%8A%A5.xlsx",
    "X-Name: 报价".encode(),
]
ODD_HEADERS = [b"no colon here", b" folded first", b""]
BODY_LINES, ODD_LINES = [b"UEsDBBQ=", b"text", b""], [b"--b10", b"--b1", b"From here"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = ["multipart/mixed", "text/plain", XLSX, "multipart/alternative", "message/rfc822"]


@st.composite
def mime_parts(draw: st.DrawFn, odd: bool | None = None, depth: int = 0) -> bytes:
    """One part (a whole mail at depth 0): headers, then a body or parts of its own; half the
    mails are plain, in the others each piece may be odd."""
    odd = draw(st.booleans()) if odd is None else odd

    def piece(plain: list[bytes], odd_ones: list[bytes]) -> bytes:
        return draw(st.sampled_from(plain + odd_ones if odd else plain))

    end = piece(ENDS, ODD_ENDS)
    kinds = KINDS[:1] if depth == 0 else KINDS if depth == 1 else KINDS[1:3]
    kind = draw(st.sampled_from(kinds))
    boundary = draw(st.sampled_from([b"b1", b"=_silu_x", b"b1b", b"b"])) + bytes([48 + depth])
    head = [b"Content-Type: " + kind.encode()]
    if kind.startswith("multipart"):
        head[0] += b'; boundary="' + boundary + b'"'
    head += draw(st.lists(st.just(b"").map(lambda _: piece(HEADERS, ODD_HEADERS)), max_size=3))
    lines = [*head, b""]
    if kind.startswith("multipart"):
        if draw(st.booleans()):
            lines.append(b"a preamble")
        for part in draw(st.lists(mime_parts(odd, depth + 1), min_size=1, max_size=3)):
            lines.append(b"--" + boundary + piece(AFTER_BOUNDARY, ODD_AFTER))
            lines.append(part)
        if not odd or draw(st.booleans()):
            lines.append(b"--" + boundary + b"--" + piece(AFTER_BOUNDARY, ODD_AFTER))
        if draw(st.booleans()):
            lines.append(b"an epilogue --" + boundary)
    elif kind == "message/rfc822":
        lines.append(b"Subject: inner" + end + end + b"inner body")
    else:
        lines += draw(
            st.lists(st.just(b"").map(lambda _: piece(BODY_LINES, ODD_LINES)), max_size=4)
        )
    return end.join(lines) + draw(st.sampled_from([b"", end]))


@settings(max_examples=200, deadline=None)
@given(mime_parts())
def test_any_mail_reads_as_the_stdlib_reads_it(raw: bytes) -> None:
    """Whole mails, nested up to three deep, built of plain and odd pieces (line ends, blanks or
    text after a boundary, missing closing lines, preambles, epilogues, forwarded parts, headers
    that are not headers): ``message.read`` reads each as ``email.message_from_bytes`` does,
    the plain ones mostly its own way (~1 in 4 of all)."""
    assert shape(message.read(b"From: a@b\r\n" + raw)) == shape(
        email.message_from_bytes(b"From: a@b\r\n" + raw)
    )
