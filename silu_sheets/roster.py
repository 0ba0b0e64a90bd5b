"""The roster in ``inbox_rules/``: staff (address, name, roles, warehouses, language) and what
each role may send. Validated on load: every mistake in the files is reported at once, with
the file and the entry, because a wrong roster silently misroutes mail."""

# no `from __future__ import annotations`: typing would compile each NamedTuple field's
# annotation from its text on every silu call (README, Start-up)
import tomllib
from pathlib import Path
from typing import NamedTuple

from silu_sheets.document import Staff
from silu_sheets.values import EMAIL_PATTERN

LANGUAGES = ("zh", "en")


class Role(NamedTuple):
    key: str
    may_send: frozenset[str]
    sees_prices: bool = True
    manager: bool = False


class Roster(NamedTuple):
    """Who works at the firm (inbox_rules/staff.toml) and what each role may do (roles.toml)."""

    staff: dict[str, Staff]
    roles: dict[str, Role]

    def find(self, address: str) -> Staff | None:
        return self.staff.get(address.strip().lower())

    def name_of(self, address: str) -> str:
        """The person's name as answers show it; the address of someone not on the roster."""
        person = self.find(address)
        return person.name if person else address

    def may_send(self, person: Staff, kind: str) -> bool:
        """As roles.toml says for the kinds it names; a kind it never names (one added since the
        firm wrote it) may be sent by the roles its declaration lists (``Kind.senders``)."""
        if kind in self.named:
            return any(kind in self.roles[r].may_send for r in person.roles if r in self.roles)
        from silu_sheets.kinds import KINDS  # here: the CLI imports this module on every start

        declared = KINDS[kind].senders if kind in KINDS else ()
        return any(r in declared for r in person.roles)

    @property
    def named(self) -> frozenset[str]:
        """The kinds roles.toml decides (named in some role's may_send)."""
        return frozenset().union(*(r.may_send for r in self.roles.values()))

    def allowed_kinds(self, person: Staff) -> list[str]:
        from silu_sheets.kinds import KINDS

        return [k for k in KINDS if self.may_send(person, k)]

    def sees_prices(self, person: Staff) -> bool:
        """Only when every role of the person may see prices: a warehouse keeper who also sells
        is still sent warehouse copies without prices."""
        return all(self.roles[r].sees_prices for r in person.roles if r in self.roles)

    def warehouse_staff(self, warehouse: str) -> list[Staff]:
        return [s for s in self.staff.values() if warehouse.upper() in s.warehouses]

    def with_role(self, *roles: str) -> list[Staff]:
        return [s for s in self.staff.values() if s.has(*roles)]


class RosterError(Exception):
    """The roster files are wrong; ``problems`` says where and how."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _known_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def load(folder: Path) -> Roster:
    problems: list[str] = []
    roles_file, staff_file = folder / "roles.toml", folder / "staff.toml"
    roles: dict[str, Role] = {}
    try:
        raw_roles = tomllib.loads(roles_file.read_text(encoding="utf-8")).get("roles", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RosterError([f"{roles_file}: {exc}"]) from exc
    from silu_sheets.kinds import KINDS

    for key, spec in raw_roles.items():
        kinds = spec.get("may_send", [])
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            problems.append(
                f"{roles_file.name} [roles.{key}]: unknown kinds {unknown}; known: {list(KINDS)}"
            )
        roles[key] = Role(
            key,
            frozenset(kinds),
            bool(spec.get("sees_prices", True)),
            bool(spec.get("manager", False)),
        )
    try:
        raw_staff = tomllib.loads(staff_file.read_text(encoding="utf-8")).get("staff", [])
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RosterError([f"{staff_file}: {exc}"]) from exc
    staff: dict[str, Staff] = {}
    for i, entry in enumerate(raw_staff, start=1):
        where = f"{staff_file.name} staff #{i}"
        address = str(entry.get("address", "")).strip().lower()
        if not EMAIL_PATTERN.match(address):
            problems.append(f"{where}: address {address!r} is not an email address")
            continue
        if address in staff:
            problems.append(f"{where}: {address} is listed twice")
        person_roles = tuple(entry.get("roles", []))
        missing = [r for r in person_roles if r not in roles]
        if missing or not person_roles:
            problems.append(
                f"{where} ({address}): roles {list(person_roles)} must be among {list(roles)}"
            )
        language = entry.get("language", "zh")
        if language not in LANGUAGES:
            problems.append(
                f"{where} ({address}): language {language!r} must be one of {LANGUAGES}"
            )
        timezone = entry.get("timezone") or None
        if timezone is not None and not _known_zone(str(timezone)):
            problems.append(
                f"{where} ({address}): time zone {timezone!r} is unknown; write one like Asia/Shanghai"
            )
        digest = entry.get("digest", True)
        if not isinstance(digest, bool):
            problems.append(f"{where} ({address}): digest must be true or false")
        if "manager" not in person_roles and any(
            roles.get(r, Role(r, frozenset())).manager for r in person_roles
        ):
            person_roles = (*person_roles, "manager")
        staff[address] = Staff(
            address=address,
            name=str(entry.get("name", address)),
            roles=person_roles,
            language=language,
            # warehouse codes are read upper-case from forms; the roster is matched the same way
            warehouses=tuple(str(w).strip().upper() for w in entry.get("warehouses", [])),
            timezone=str(timezone) if timezone else None,
            digest=digest is not False,
        )
    if problems:
        raise RosterError(problems)
    return Roster(staff, roles)
