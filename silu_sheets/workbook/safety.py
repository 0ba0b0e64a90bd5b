"""Refuse a file before any parsing work: not xlsx, old .xls, macros, a password, size caps.

An .xlsx is a zip; a zip bomb (tiny file, huge content) or one with thousands of parts is
refused from the zip directory alone, before openpyxl reads a byte of XML.
"""

# no `from __future__ import annotations`: typing would compile each NamedTuple field's
# annotation from its text on every silu call (README, Start-up)
import io
import zipfile
import zlib
from typing import NamedTuple
from xml.parsers import expat

from silu_sheets import problems as P
from silu_sheets.problems import Problem
from silu_sheets.workbook.cells import read_declared

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
#: an encrypted .xlsx is an OLE container holding this stream (MS-OFFCRYPTO)
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


class Caps(NamedTuple):
    file_bytes: int = 5 * 1024 * 1024
    unpacked_bytes: int = 60 * 1024 * 1024
    parts: int = 400
    ratio: int = 200


def damaged(exc: BaseException) -> Problem:
    """A damaged file, said in the reader's words (never a library's English message)."""
    from silu_sheets.workbook.cells import PartTooLarge, TooManyCells, UnsafeXml

    if isinstance(exc, UnsafeXml):
        return Problem(P.FILE_UNSAFE_XML)
    if isinstance(exc, TooManyCells):
        return Problem(P.FILE_TOO_MANY_CELLS)
    if isinstance(exc, PartTooLarge):
        return Problem(P.FILE_ZIP_BOMB, {"size": "-", "limit": megabytes(16 * 1024 * 1024)})
    if isinstance(exc, (zlib.error, zipfile.BadZipFile, EOFError)):
        detail = P.words("压缩数据已损坏", "its compressed data is corrupt")
    elif isinstance(exc, expat.ExpatError):
        detail = P.words("内部 XML 格式错误", "its XML is malformed")
    elif isinstance(exc, KeyError):
        detail = P.words("缺少必需的部件", "a required part is missing")
    else:
        detail = P.words("内容无法解析", "its content cannot be read")
    return Problem(P.FILE_DAMAGED, {"detail": detail})


def megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def refuse(data: bytes, filename: str = "", caps: Caps = Caps()) -> list[Problem]:  # noqa: B008 - immutable
    """Why this file is not read at all; an empty list means it may be opened."""
    name = filename.lower()
    if len(data) > caps.file_bytes:
        return [
            Problem(
                P.FILE_TOO_LARGE,
                {"size": megabytes(len(data)), "limit": megabytes(caps.file_bytes)},
            )
        ]
    if data.startswith(OLE_SIGNATURE):
        if ENCRYPTION_STREAM in data:
            return [Problem(P.FILE_ENCRYPTED)]
        return [Problem(P.FILE_OLD_XLS)]
    if not data.startswith(ZIP_SIGNATURE):
        if name.endswith(".xls"):
            return [Problem(P.FILE_OLD_XLS)]
        return [Problem(P.FILE_NOT_XLSX)]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        return [damaged(exc)]
    names = {m.filename for m in members}
    if len(members) > caps.parts:
        return [Problem(P.FILE_TOO_MANY_PARTS, {"count": len(members), "limit": caps.parts})]
    unpacked = sum(m.file_size for m in members)
    if unpacked > caps.unpacked_bytes or any(
        m.file_size > 1024 * 1024 and m.file_size > caps.ratio * max(m.compress_size, 1)
        for m in members
    ):
        return [
            Problem(
                P.FILE_ZIP_BOMB,
                {"size": megabytes(unpacked), "limit": megabytes(caps.unpacked_bytes)},
            )
        ]
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        return [Problem(P.FILE_NOT_XLSX)]
    try:
        content_types = read_declared(archive, archive.getinfo("[Content_Types].xml"))
    except (zipfile.BadZipFile, OSError, RuntimeError, zlib.error, EOFError) as exc:
        return [damaged(exc)]
    if (
        name.endswith((".xlsm", ".xltm"))
        or any(n.lower().endswith("vbaproject.bin") for n in names)
        or b"macroEnabled" in content_types
    ):
        return [Problem(P.FILE_MACRO)]
    return []
