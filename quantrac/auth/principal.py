"""The caller of a request, as every query and write check sees it.

Roles (issue 7): `admin` (national, everything), `province` (stations of its province and the
provinces merged into it), `enterprise` (the stations its organization owns), `public`
(public stations, approved data). Outside its own scope every role sees what the public sees.
Scopes narrow what a credential may do: `read`, `write` (push / create / update / delete),
`admin` (users, keys, audit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from quantrac.catalog import get_catalog

Role = Literal["admin", "province", "enterprise", "public"]
ROLES: tuple[Role, ...] = ("admin", "province", "enterprise", "public")
SCOPES = ("read", "write", "admin")
#: What each role may be granted at most.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "province": frozenset({"read", "write"}),
    "enterprise": frozenset({"read", "write"}),
    "public": frozenset({"read"}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    actor: str  # how the audit log names it: "user:alice", "key:3f2a9c1b0d4e", "anonymous"
    role: Role
    scopes: frozenset[str]
    user_id: int | None = None
    key_id: int | None = None
    admin_unit_keys: frozenset[str] = field(default_factory=frozenset)
    organization_id: int | None = None
    home_unit: str | None = None  # a province user's own unit (default for stations it adds)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" and "admin" in self.scopes

    @property
    def can_write(self) -> bool:
        return "write" in self.scopes and self.role != "public"

    @property
    def is_staff(self) -> bool:
        """Agency staff (national or provincial): may manage registry entities in scope."""
        return self.role in ("admin", "province") and self.can_write

    def has_full_access(self, admin_unit_key: str | None, owner_id: int | None) -> bool:
        """All data of this station, restricted and unapproved included (Python mirror of
        `scope.full_access`)."""
        if self.role == "admin":
            return True
        if self.role == "province":
            return admin_unit_key is not None and admin_unit_key in self.admin_unit_keys
        if self.role == "enterprise":
            return owner_id is not None and owner_id == self.organization_id
        return False


ANONYMOUS = Principal(actor="anonymous", role="public", scopes=frozenset({"read"}))


def province_keys(admin_unit_key: str | None) -> frozenset[str]:
    """The unit and every unit merged into it, transitively (2025-07-01 merger)."""
    if not admin_unit_key:
        return frozenset()
    units = get_catalog().admin_units
    keys = {admin_unit_key}
    todo = [admin_unit_key]
    while todo:
        for u in units.predecessors(todo.pop()):
            if u.key not in keys:
                keys.add(u.key)
                todo.append(u.key)
    return frozenset(keys)


def make_principal(
    *,
    actor: str,
    role: str,
    scopes: frozenset[str] | None = None,
    user_id: int | None = None,
    key_id: int | None = None,
    admin_unit_key: str | None = None,
    organization_id: int | None = None,
) -> Principal:
    granted = ROLE_SCOPES.get(role, frozenset({"read"}))
    effective = granted if scopes is None else granted & scopes
    return Principal(
        actor=actor,
        role=role if role in ROLES else "public",  # type: ignore[arg-type]
        scopes=effective,
        user_id=user_id,
        key_id=key_id,
        admin_unit_keys=province_keys(admin_unit_key) if role == "province" else frozenset(),
        organization_id=organization_id,
        home_unit=admin_unit_key if role == "province" else None,
    )
