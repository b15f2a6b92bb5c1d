"""Use cases of institutions, staff, roles and login. The caller owns the transaction."""

from __future__ import annotations

import datetime as dt
import functools
import threading
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from zhanye.core import audit, data_version
from zhanye.core.calendar import business_date_or_today, business_date_subquery
from zhanye.core.config import Settings, get_settings
from zhanye.core.context import Principal
from zhanye.core.db import is_postgresql, pg_execute, pg_sql, utcnow
from zhanye.core.errors import (
    AccountDisabled,
    AccountLocked,
    Conflict,
    LoginFailed,
    NotFound,
    ValidationFailed,
)
from zhanye.core.models import KernelSetting
from zhanye.core.scope import ensure_in_scope
from zhanye.org import security
from zhanye.org.models import Institution, Permission, Role, RolePermission, Staff, StaffRole, StaffSession
from zhanye.org.permissions import DEFAULT_ROLE_PERMISSIONS, PERMISSIONS, ROLES

KIND_PARENT = {"head_office": None, "branch": {"head_office"}, "sub_branch": {"branch", "head_office"}}
KIND_NAMES = {"head_office": ("总行", "Head office"), "branch": ("分行", "Branch"),
              "sub_branch": ("支行", "Sub-branch")}

# --- authorization epoch: bumped when role permissions or the tree change ----------------------

_EPOCH_KEY = "authz_epoch"


def _epoch(session: Session) -> int:
    rec = session.get(KernelSetting, _EPOCH_KEY)
    return int(rec.value) if rec else 0


def bump_authz_epoch(session: Session) -> None:
    rec = session.get(KernelSetting, _EPOCH_KEY)
    if rec is None:
        session.add(KernelSetting(key=_EPOCH_KEY, value="1"))
    else:
        rec.value = str(int(rec.value) + 1)
    session.flush()


# --- catalog ----------------------------------------------------------------------------------

def sync_catalog(session: Session) -> list[str]:
    """Make the role and permission tables match the catalog. A permission seen for the first
    time is granted to the roles that have it by default; later edits by admins are kept."""
    roles = {r.code: r for r in session.execute(select(Role)).scalars()}
    for code, (zh, en) in ROLES.items():
        if code in roles:
            roles[code].name_zh, roles[code].name_en = zh, en
        else:
            session.add(Role(code=code, name_zh=zh, name_en=en))
    perms = {p.code: p for p in session.execute(select(Permission)).scalars()}
    added: list[str] = []
    for code, (zh, en) in PERMISSIONS.items():
        if code in perms:
            perms[code].name_zh, perms[code].name_en = zh, en
        else:
            session.add(Permission(code=code, name_zh=zh, name_en=en))
            added.append(code)
    session.flush()
    for role, defaults in DEFAULT_ROLE_PERMISSIONS.items():
        for code in sorted(defaults & set(added)):
            session.add(RolePermission(role_code=role, permission_code=code))
    if added:
        bump_authz_epoch(session)
    session.flush()
    return added


def list_roles(session: Session) -> list[tuple[Role, list[str]]]:
    links: dict[str, list[str]] = {}
    for rp in session.execute(select(RolePermission).order_by(RolePermission.permission_code)).scalars():
        links.setdefault(rp.role_code, []).append(rp.permission_code)
    roles = session.execute(select(Role)).scalars().all()
    order = list(ROLES)
    roles = sorted(roles, key=lambda r: order.index(r.code) if r.code in order else 99)
    return [(r, links.get(r.code, [])) for r in roles]


def list_permissions(session: Session) -> list[Permission]:
    return list(session.execute(select(Permission).order_by(Permission.code)).scalars())


def set_role_permissions(session: Session, actor: Principal, role_code: str, permissions: list[str]) -> list[str]:
    role = session.get(Role, role_code)
    if role is None:
        raise NotFound("角色不存在", "The role does not exist")
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise ValidationFailed.field(["body", "permissions"], f"未知权限：{', '.join(unknown)}",
                                     f"Unknown permissions: {', '.join(unknown)}")
    wanted = set(permissions)
    if role_code == "ops_admin" and "role.manage" not in wanted:
        raise Conflict("运营管理员必须保留配置角色权限的权限，以免无人可改",
                       "Operations admins must keep role.manage, or nobody could edit roles again")
    current = {rp.permission_code for rp in session.execute(
        select(RolePermission).where(RolePermission.role_code == role_code)).scalars()}
    granted, revoked = sorted(wanted - current), sorted(current - wanted)
    if revoked:
        session.execute(delete(RolePermission).where(
            RolePermission.role_code == role_code, RolePermission.permission_code.in_(revoked)))
    for code in granted:
        session.add(RolePermission(role_code=role_code, permission_code=code))
    bump_authz_epoch(session)
    audit.record(session, action="role.permissions.set", object_type="role", object_id=role_code,
                 changes={"granted": granted, "revoked": revoked}, actor=actor)
    return sorted(wanted)


# --- institutions ------------------------------------------------------------------------------

CloseCheck = Callable[[Session, int], str | None]
_close_checks: list[CloseCheck] = []


def register_close_check(check: CloseCheck) -> None:
    """Features register a check that names why an institution is not empty (or returns None)."""
    if check not in _close_checks:
        _close_checks.append(check)


def _check_parent(session: Session, kind: str, parent: Institution | None) -> None:
    allowed = KIND_PARENT[kind]
    if allowed is None:
        if parent is not None:
            raise ValidationFailed.field(["body", "parent_id"], "总行不能有上级机构",
                                         "A head office has no parent")
        exists = session.execute(select(func.count()).select_from(Institution).where(
            Institution.kind == "head_office", Institution.status == "open")).scalar_one()
        if exists:
            raise Conflict("已存在总行", "A head office already exists")
        return
    if parent is None:
        raise ValidationFailed.field(["body", "parent_id"], "须指定上级机构", "A parent institution is required")
    if parent.kind not in allowed:
        raise ValidationFailed.field(
            ["body", "parent_id"], f"{KIND_NAMES[kind][0]}不能设在{KIND_NAMES[parent.kind][0]}之下",
            f"A {KIND_NAMES[kind][1].lower()} cannot sit under a {KIND_NAMES[parent.kind][1].lower()}")
    if parent.status != "open":
        raise Conflict("上级机构已撤销", "The parent institution is closed")


def get_institution(session: Session, actor: Principal, institution_id: int) -> Institution:
    inst = session.get(Institution, institution_id)
    if inst is None:
        raise NotFound("机构不存在", "The institution does not exist")
    # Path-based so that an institution created earlier in the same use case is in scope too.
    home = session.get(Institution, actor.institution_id) if actor.institution_id else None
    if home is None or not inst.path.startswith(home.path):
        ensure_in_scope(inst.id, actor, what="机构", what_en="institution")
    return inst


def list_institutions(session: Session, actor: Principal, *, include_closed: bool = False) -> list[Institution]:
    stmt = select(Institution).where(Institution.id.in_(sorted(actor.scope_ids)))
    if not include_closed:
        stmt = stmt.where(Institution.status == "open")
    return list(session.execute(stmt.order_by(Institution.path)).scalars())


def create_institution(session: Session, actor: Principal, *, code: str, name: str, kind: str,
                       parent_id: int | None) -> Institution:
    parent = get_institution(session, actor, parent_id) if parent_id is not None else None
    if parent is None and kind != "head_office":
        raise ValidationFailed.field(["body", "parent_id"], "须指定上级机构", "A parent institution is required")
    if parent is None and actor.staff_id != 0 and actor.scope_ids:
        # Only the bootstrap (system) may create the root once the bank exists.
        raise ValidationFailed.field(["body", "kind"], "总行只能在建行时创建", "The head office is created once, at set-up")
    _check_parent(session, kind, parent)
    if session.execute(select(Institution.id).where(Institution.code == code)).first():
        raise Conflict(f"机构代码 {code} 已存在", f"Institution code {code} already exists",
                       errors=None)
    inst = Institution(code=code, name=name, kind=kind, parent_id=parent.id if parent else None, path="/")
    session.add(inst)
    session.flush()
    inst.path = f"{parent.path if parent else '/'}{inst.id}/"
    session.flush()
    bump_authz_epoch(session)
    audit.record(session, action="institution.create", object_type="institution", object_id=inst.id,
                 changes={"code": code, "name": name, "kind": kind, "parent_id": inst.parent_id}, actor=actor)
    return inst


def rename_institution(session: Session, actor: Principal, institution_id: int, name: str) -> Institution:
    inst = get_institution(session, actor, institution_id)
    old = inst.name
    inst.name = name
    bump_authz_epoch(session)
    audit.record(session, action="institution.rename", object_type="institution", object_id=inst.id,
                 changes={"name": [old, name]}, actor=actor)
    return inst


def move_institution(session: Session, actor: Principal, institution_id: int, parent_id: int) -> Institution:
    inst = get_institution(session, actor, institution_id)
    parent = get_institution(session, actor, parent_id)
    if inst.kind == "head_office":
        raise Conflict("总行不能移动", "The head office cannot move")
    if parent.path.startswith(inst.path):
        raise ValidationFailed.field(["body", "parent_id"], "不能移到自身或下级机构之下",
                                     "Cannot move under itself or one of its descendants")
    _check_parent(session, inst.kind, parent)
    old_path, old_parent = inst.path, inst.parent_id
    new_path = f"{parent.path}{inst.id}/"
    session.execute(
        update(Institution).where(Institution.path.like(f"{old_path}%")).values(
            path=func.replace(Institution.path, old_path, new_path)),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()
    inst = session.get(Institution, institution_id)
    assert inst is not None
    inst.parent_id = parent.id
    session.flush()
    bump_authz_epoch(session)
    audit.record(session, action="institution.move", object_type="institution", object_id=inst.id,
                 changes={"parent_id": [old_parent, parent.id], "path": [old_path, new_path]}, actor=actor)
    return inst


def close_institution(session: Session, actor: Principal, institution_id: int) -> Institution:
    inst = get_institution(session, actor, institution_id)
    if inst.status == "closed":
        raise Conflict("机构已撤销", "The institution is already closed")
    if inst.kind == "head_office":
        raise Conflict("总行不能撤销", "The head office cannot be closed")
    reasons: list[str] = []
    children = session.execute(select(func.count()).select_from(Institution).where(
        Institution.parent_id == inst.id, Institution.status == "open")).scalar_one()
    if children:
        reasons.append(f"{children} 个下级机构 / {children} open child institutions")
    staff = session.execute(select(func.count()).select_from(Staff).where(
        Staff.institution_id == inst.id, Staff.status == "active")).scalar_one()
    if staff:
        reasons.append(f"{staff} 名在职员工 / {staff} active staff")
    for check in _close_checks:
        reason = check(session, inst.id)
        if reason:
            reasons.append(reason)
    if reasons:
        raise Conflict("机构非空，不能撤销：" + "；".join(reasons),
                       "The institution is not empty: " + "; ".join(reasons))
    inst.status = "closed"
    inst.closed_at = utcnow()
    bump_authz_epoch(session)
    audit.record(session, action="institution.close", object_type="institution", object_id=inst.id,
                 changes={"status": ["open", "closed"]}, actor=actor)
    return inst


def subtree_ids(session: Session, institution_id: int) -> frozenset[int]:
    inst = session.get(Institution, institution_id)
    if inst is None:
        return frozenset()
    rows = session.execute(select(Institution.id).where(Institution.path.like(f"{inst.path}%"))).scalars()
    return frozenset(rows)


def head_office(session: Session) -> Institution | None:
    return session.execute(select(Institution).where(Institution.kind == "head_office")).scalars().first()


# --- staff ------------------------------------------------------------------------------------

def _check_roles(roles: list[str]) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValidationFailed.field(["body", "roles"], f"未知角色：{', '.join(unknown)}",
                                     f"Unknown roles: {', '.join(unknown)}")
    return sorted(set(roles))


def get_staff(session: Session, actor: Principal, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None or not actor.sees_institution(staff.institution_id):
        raise NotFound("员工不存在", "The staff member does not exist")
    return staff


def find_staff_by_username(session: Session, username: str) -> Staff | None:
    return session.execute(select(Staff).where(Staff.username == username)).scalar_one_or_none()


@dataclass(frozen=True)
class StaffRow:
    """A staff member as lists show it (read with plain columns, not ORM entities)."""

    id: int
    username: str
    display_name: str
    employee_no: str | None
    institution_id: int
    institution_name: str
    roles: list[str]
    status: str
    must_change_password: bool
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None


@functools.cache
def _staff_list_queries(has_q: bool, has_institution: bool, has_role: bool, has_status: bool) -> tuple[Any, Any]:
    """(count, page) statements for one combination of filters, built once with bound parameters
    (a list page is read on every visit; building the statement cost more than running it)."""
    conds = [Staff.institution_id.in_(bindparam("scope", expanding=True))]
    if has_q:
        like = bindparam("like")
        conds.append(or_(Staff.username.like(like), Staff.display_name.like(like), Staff.employee_no.like(like)))
    if has_institution:
        conds.append(Staff.institution_id == bindparam("institution_id"))
    if has_role:
        conds.append(Staff.id.in_(select(StaffRole.staff_id).where(StaffRole.role_code == bindparam("role"))))
    if has_status:
        conds.append(Staff.status == bindparam("status"))
    count = select(func.count(Staff.id)).where(*conds)
    roles = (select(func.aggregate_strings(StaffRole.role_code, ","))
             .where(StaffRole.staff_id == Staff.id).scalar_subquery())
    page = (select(Staff.id, Staff.username, Staff.display_name, Staff.employee_no, Staff.institution_id,
                   Institution.name, Staff.status, Staff.must_change_password, Staff.locked_until,
                   Staff.last_login_at, roles, func.count().over(), data_version.version_subquery(data_version.ORG))
            .join(Institution, Institution.id == Staff.institution_id)
            .where(*conds).order_by(Staff.id).offset(bindparam("offset")).limit(bindparam("limit")))
    return count, page


def list_staff(session: Session | Connection, actor: Principal, *, q: str | None = None, institution_id: int | None = None,
               role: str | None = None, status: str | None = None, page: int = 1,
               page_size: int = 20) -> tuple[list[StaffRow], int]:
    rows, total, _version = list_staff_versioned(session, actor, q=q, institution_id=institution_id, role=role,
                                                 status=status, page=page, page_size=page_size)
    return rows, total


def list_staff_versioned(session: Session | Connection, actor: Principal, *, q: str | None = None,
                         institution_id: int | None = None, role: str | None = None, status: str | None = None,
                         page: int = 1, page_size: int = 20) -> tuple[list[StaffRow], int, int | None]:
    """``list_staff`` and the ``org`` data version read in the same statement (None past the last page)."""
    count, page_query = _staff_list_queries(bool(q), institution_id is not None, bool(role), bool(status))
    params: dict[str, Any] = {"scope": sorted(actor.scope_ids), "like": f"%{q.strip()}%" if q else None,
                              "institution_id": institution_id, "role": role, "status": status}
    conn = session.connection() if isinstance(session, Session) else session
    # one statement: the page, each row's roles and (window count) the total of the filter
    rows = conn.execute(page_query, {**params, "offset": (page - 1) * page_size, "limit": page_size}).all()
    version = None
    if rows:
        total, version = rows[0][11], rows[0][12]
    else:  # past the last page (or nothing matches): the total on its own
        total = conn.execute(count, params).scalar_one() if page > 1 else 0
    return [StaffRow(id=r[0], username=r[1], display_name=r[2], employee_no=r[3], institution_id=r[4],
                     institution_name=r[5], roles=sorted(r[10].split(",")) if r[10] else [], status=r[6],
                     must_change_password=r[7], locked_until=r[8], last_login_at=r[9]) for r in rows], total, version


def create_staff(session: Session, actor: Principal, *, username: str, display_name: str, institution_id: int,
                 roles: list[str], employee_no: str | None = None, password: str | None = None,
                 must_change_password: bool = True, is_demo: bool = False) -> tuple[Staff, str]:
    inst = get_institution(session, actor, institution_id)
    if inst.status != "open":
        raise Conflict("机构已撤销", "The institution is closed")
    roles = _check_roles(roles)
    if find_staff_by_username(session, username) is not None:
        raise Conflict(f"用户名 {username} 已存在", f"Username {username} is taken")
    if employee_no and session.execute(select(Staff.id).where(Staff.employee_no == employee_no)).first():
        raise Conflict(f"工号 {employee_no} 已存在", f"Employee number {employee_no} is taken")
    temp = password or security.random_password()
    staff = Staff(username=username, display_name=display_name, institution_id=inst.id,
                  employee_no=employee_no, password_hash=security.hash_password(temp),
                  must_change_password=must_change_password, is_demo=is_demo)
    staff.role_links = [StaffRole(role_code=r) for r in roles]
    session.add(staff)
    session.flush()
    audit.record(session, action="staff.create", object_type="staff", object_id=staff.id,
                 changes={"username": username, "institution_id": inst.id, "roles": roles}, actor=actor)
    return staff, temp


def update_staff(session: Session, actor: Principal, staff_id: int, *, display_name: str | None = None,
                 institution_id: int | None = None, roles: list[str] | None = None) -> Staff:
    staff = get_staff(session, actor, staff_id)
    changes: dict[str, object] = {}
    if display_name is not None and display_name != staff.display_name:
        changes["display_name"] = [staff.display_name, display_name]
        staff.display_name = display_name
    if institution_id is not None and institution_id != staff.institution_id:
        inst = get_institution(session, actor, institution_id)
        if inst.status != "open":
            raise Conflict("机构已撤销", "The institution is closed")
        changes["institution_id"] = [staff.institution_id, inst.id]
        staff.institution_id = inst.id
    if roles is not None:
        roles = _check_roles(roles)
        if roles != staff.roles:
            if staff.id == actor.staff_id and "ops_admin" in staff.roles and "ops_admin" not in roles:
                raise Conflict("不能移除自己的运营管理员角色", "You cannot remove your own operations-admin role")
            changes["roles"] = [staff.roles, roles]
            staff.role_links = [StaffRole(role_code=r) for r in roles]
    if changes:
        staff.authz_version += 1
        session.flush()
        audit.record(session, action="staff.update", object_type="staff", object_id=staff.id,
                     changes=changes, actor=actor)
    return staff


def set_staff_status(session: Session, actor: Principal, staff_id: int, status: str) -> Staff:
    staff = get_staff(session, actor, staff_id)
    if status not in ("active", "disabled"):
        raise ValidationFailed.field(["body", "status"], "状态无效", "Invalid status")
    if staff.id == actor.staff_id and status == "disabled":
        raise Conflict("不能停用自己的账户", "You cannot disable your own account")
    if staff.status == status:
        return staff
    old = staff.status
    staff.status = status
    staff.authz_version += 1
    if status == "disabled":
        _revoke_sessions(session, staff.id)
    else:
        staff.failed_attempts = 0
        staff.locked_until = None
    audit.record(session, action=f"staff.{'disable' if status == 'disabled' else 'enable'}",
                 object_type="staff", object_id=staff.id, changes={"status": [old, status]}, actor=actor)
    return staff


def reset_password(session: Session, actor: Principal, staff_id: int) -> tuple[Staff, str]:
    staff = get_staff(session, actor, staff_id)
    temp = security.random_password()
    staff.password_hash = security.hash_password(temp)
    staff.must_change_password = True
    staff.failed_attempts = 0
    staff.locked_until = None
    staff.authz_version += 1
    _revoke_sessions(session, staff.id)
    audit.record(session, action="staff.reset_password", object_type="staff", object_id=staff.id,
                 changes={"must_change_password": True}, actor=actor)
    return staff, temp


def _revoke_sessions(session: Session, staff_id: int) -> None:
    session.execute(update(StaffSession).where(StaffSession.staff_id == staff_id,
                                               StaffSession.revoked_at.is_(None)).values(revoked_at=utcnow()))


# --- login ------------------------------------------------------------------------------------

@dataclass
class LoginResult:
    ok: bool
    token: str | None = None
    expires_at: dt.datetime | None = None
    staff: Staff | None = None
    error: Exception | None = None


def login(session: Session, *, username: str, password: str, kind: str, device_id: str | None = None,
          client_ip: str | None = None, settings: Settings | None = None) -> LoginResult:
    """Check credentials. Failures are recorded (counter, lock, audit) and returned, not raised,
    so that the caller commits them before answering the error."""
    settings = settings or get_settings()
    now = utcnow()
    staff = find_staff_by_username(session, username.strip().lower())
    if staff is None:
        security.burn_verify(password)
        return LoginResult(False, error=LoginFailed())
    actor = _principal_stub(staff, device_id)
    if staff.status != "active":
        security.burn_verify(password)
        return LoginResult(False, error=AccountDisabled())
    if staff.locked_until is not None and staff.locked_until > now:
        minutes = max(1, int((staff.locked_until - now).total_seconds() // 60) + 1)
        return LoginResult(False, error=AccountLocked(
            f"连续登录失败次数过多，账户已锁定，请约 {minutes} 分钟后再试",
            f"Too many failed attempts; the account is locked for about {minutes} more minutes",
            locked_until=staff.locked_until.isoformat()))
    if not security.verify_password(staff.password_hash, password):
        staff.failed_attempts += 1
        locked = staff.failed_attempts >= settings.login_max_failures
        if locked:
            staff.locked_until = now + dt.timedelta(minutes=settings.login_lock_minutes)
            staff.failed_attempts = 0
        audit.record(session, action="auth.login_failed", object_type="staff", object_id=staff.id,
                     changes={"locked": locked}, actor=actor)
        if locked:
            return LoginResult(False, error=AccountLocked(
                f"连续 {settings.login_max_failures} 次登录失败，账户锁定 {settings.login_lock_minutes} 分钟",
                f"{settings.login_max_failures} failed attempts: the account is locked for "
                f"{settings.login_lock_minutes} minutes"))
        return LoginResult(False, error=LoginFailed())
    staff.failed_attempts = 0
    staff.locked_until = None
    staff.last_login_at = now
    token, digest = security.new_token()
    expires = now + dt.timedelta(hours=settings.session_hours)
    session.add(StaffSession(token_hash=digest, staff_id=staff.id, kind=kind, device_id=device_id,
                             expires_at=expires, client_ip=client_ip))
    audit.record(session, action="auth.login", object_type="staff", object_id=staff.id,
                 changes={"kind": kind}, actor=actor)
    session.flush()
    return LoginResult(True, token=token, expires_at=expires, staff=staff)


def logout(session: Session, token: str) -> None:
    digest = security.token_hash(token)
    sess = session.execute(select(StaffSession).where(StaffSession.token_hash == digest)).scalar_one_or_none()
    if sess is not None and sess.revoked_at is None:
        sess.revoked_at = utcnow()
        staff = session.get(Staff, sess.staff_id)
        if staff is not None:
            audit.record(session, action="auth.logout", object_type="staff", object_id=staff.id,
                         actor=_principal_stub(staff, sess.device_id))


def change_password(session: Session, actor: Principal, *, old_password: str, new_password: str,
                    keep_token: str | None = None, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    staff = session.get(Staff, actor.staff_id)
    if staff is None:
        raise NotFound("员工不存在", "The staff member does not exist")
    if not security.verify_password(staff.password_hash, old_password):
        raise ValidationFailed.field(["body", "old_password"], "原密码不正确", "The current password is wrong")
    if old_password == new_password:
        raise ValidationFailed.field(["body", "new_password"], "新密码不能与原密码相同",
                                     "The new password must differ from the current one")
    security.check_password_policy(new_password, username=staff.username, min_length=settings.password_min_length)
    staff.password_hash = security.hash_password(new_password)
    staff.must_change_password = False
    staff.password_changed_at = utcnow()
    staff.authz_version += 1
    # Other sessions end; the one that changed the password stays.
    stmt = update(StaffSession).where(StaffSession.staff_id == staff.id, StaffSession.revoked_at.is_(None))
    if keep_token:
        stmt = stmt.where(StaffSession.token_hash != security.token_hash(keep_token))
    session.execute(stmt.values(revoked_at=utcnow()))
    audit.record(session, action="auth.password_change", object_type="staff", object_id=staff.id, actor=actor)


def _principal_stub(staff: Staff, device_id: str | None) -> Principal:
    return Principal(staff_id=staff.id, username=staff.username, display_name=staff.display_name,
                     institution_id=staff.institution_id, institution_name="", roles=frozenset(staff.roles),
                     permissions=frozenset(), scope_ids=frozenset(), device_id=device_id)


# --- resolving a token to a principal (every request) ------------------------------------------

@dataclass(frozen=True)
class _Grant:
    roles: frozenset[str]
    permissions: frozenset[str]
    scope_ids: frozenset[int]
    institution_name: str


# Per database (a process may talk to several: tests, benchmarks, tools), then per
# (staff, authz_version, epoch): staff ids of one database mean nothing in another.
_grant_cache: weakref.WeakKeyDictionary[Any, dict[tuple[int, int, int], _Grant]] = weakref.WeakKeyDictionary()
_grant_lock = threading.Lock()


def _database_of(conn: Session | Connection) -> Any:
    """The connection pool: one per database, shared by the engine and its option variants."""
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    return getattr(bind, "engine", bind).pool


def _grant(conn: Session | Connection | Callable[[], ContextManager[Connection]], database: Any, staff_id: int,
           institution_id: int, authz_version: int, epoch: int) -> _Grant:
    """The cached grant, else read on ``conn`` (or a connection it opens, when a factory)."""
    key = (staff_id, authz_version, epoch)
    per_db = _grant_cache.get(database)
    cached = per_db.get(key) if per_db is not None else None
    if cached is not None:
        return cached
    if callable(conn):
        with conn() as opened:
            return _grant(opened, database, staff_id, institution_id, authz_version, epoch)
    roles = frozenset(conn.execute(select(StaffRole.role_code).where(StaffRole.staff_id == staff_id)).scalars())
    perms = frozenset(conn.execute(select(RolePermission.permission_code).where(
        RolePermission.role_code.in_(sorted(roles)))).scalars()) if roles else frozenset()
    inst = conn.execute(select(Institution.path, Institution.name).where(Institution.id == institution_id)).first()
    scope = frozenset(conn.execute(select(Institution.id).where(
        Institution.path.like(f"{inst.path}%"))).scalars()) if inst else frozenset()
    grant = _Grant(roles, perms, scope, inst.name if inst else "")
    with _grant_lock:
        per_db = _grant_cache.setdefault(database, {})
        if len(per_db) > 10_000:
            per_db.clear()
        per_db[key] = grant
    return grant


@functools.cache
def _token_query() -> Any:
    """Session, staff and authorization epoch in one indexed lookup (built once, compiled once)."""
    epoch_sq = select(KernelSetting.value).where(KernelSetting.key == _EPOCH_KEY).scalar_subquery()
    return (select(StaffSession.expires_at, StaffSession.revoked_at, StaffSession.device_id, Staff.id,
                   Staff.username, Staff.display_name, Staff.institution_id, Staff.status,
                   Staff.must_change_password, Staff.authz_version, epoch_sq, business_date_subquery(),
                   data_version.version_subquery(data_version.ORG))
            .join(Staff, Staff.id == StaffSession.staff_id)
            .where(StaffSession.token_hash == bindparam("digest")))


@functools.cache
def _token_sql() -> tuple[str, dict[str, Any]]:
    return pg_sql(_token_query())  # PostgreSQL: prepared, through the driver (every request runs it)


def resolve_token(conn: Session | Connection, token: str) -> Principal | None:
    """The principal of a live session token, or None when unknown, expired, revoked or disabled."""
    return resolve_token_on(conn, token)[0]


def token_cache_until(row: Any) -> dt.datetime | None:
    """The expiry of the session of a look-up's row, when its answer may be kept (the principal
    cache): not when the database holds no business date, as the answer then carries today's
    date, which no commit changes at midnight."""
    return row[0] if row[11] is not None else None


@functools.cache
def _token_sqlite(dialect: Any) -> Any:
    from zhanye.core.sqlite_reads import SqliteStatement

    return SqliteStatement(_token_query(), dialect)  # SQLite: on a plain sqlite3 connection (every request)


class TokenRead(NamedTuple):
    principal: Principal | None
    business_date: dt.date | None
    org_version: int | None  # data version of staff, roles and institutions (cached lists check it)


def resolve_token_on(conn: Session | Connection, token: str) -> TokenRead:
    """The principal of a live session token (None when unknown, expired, revoked or disabled),
    the business date (the home page and ``/me`` show it) and the ``org`` data version (the staff
    list's cache checks it), read in the same round trip.

    Runs on every request, so it takes a plain connection (no ORM unit of work) and makes one
    indexed query (session, staff columns, authorization epoch, business date); the roles,
    permissions and scope are cached per (staff, authz_version, epoch). Revocation and disabling
    take effect at once."""
    params = {"digest": security.token_hash(token)}
    if is_postgresql(conn):
        sql, constants = _token_sql()
        rows = pg_execute(conn, sql, constants | params)
        row = rows[0] if rows else None
    else:
        row = conn.execute(_token_query(), params).first()
    return _token_read(row, conn, _database_of(conn))


async def resolve_token_async(db: Any, token: str) -> TokenRead:
    """``resolve_token_on`` on PostgreSQL with the statement awaited on the running event loop
    (``Database.async_reads``), so that the loop serves other requests while it waits; when no
    connection comes free in time, the blocking way."""
    return token_from_rows(db, token, await token_rows_async(db, token))


def resolve_token_sqlite(db: Any, token: str) -> TokenRead:
    """``resolve_token_on`` on SQLite through ``Database.sqlite_reads`` (a plain sqlite3 connection
    of the thread's own: a fifth of the CPU of the look-up through an engine connection); for an
    in-memory database, the usual way."""
    return token_from_rows(db, token, token_rows_sqlite(db, token))


async def token_rows_async(db: Any, token: str) -> list[Any] | None:
    """PostgreSQL: the look-up's rows, awaited (None when no connection came free in time)."""
    sql, constants = _token_sql()
    return await db.async_reads.fetch(sql, constants | {"digest": security.token_hash(token)})


def token_rows_sqlite(db: Any, token: str) -> list[Any] | None:
    """SQLite: the look-up's rows on the thread's own connection (None for an in-memory database)."""
    return db.sqlite_reads.fetch(_token_sqlite(db.engine.dialect), {"digest": security.token_hash(token)})


def token_from_rows(db: Any, token: str, rows: list[Any] | None) -> TokenRead:
    """The look-up's answer from a fast path's rows; when it had none to give (None), the usual
    read through ``read_connection``."""
    if rows is None:
        with db.read_connection() as conn:
            return resolve_token_on(conn, token)
    return _token_read(rows[0] if rows else None, db.read_connection, db.read_pool)


def _token_read(row: Any, conn: Session | Connection | Callable[[], ContextManager[Connection]],
                database: Any) -> TokenRead:
    if row is None:
        return TokenRead(None, None, None)
    (expires_at, revoked_at, device_id, staff_id, username, display_name, institution_id, status,
     must_change, authz_version, epoch, business_date, org_version) = row
    business_date = business_date_or_today(business_date)
    if revoked_at is not None or expires_at <= utcnow() or status != "active":
        return TokenRead(None, business_date, org_version)
    grant = _grant(conn, database, staff_id, institution_id, authz_version, int(epoch or 0))
    return TokenRead(Principal(
        staff_id=staff_id, username=username, display_name=display_name,
        institution_id=institution_id, institution_name=grant.institution_name,
        roles=grant.roles, permissions=grant.permissions, scope_ids=grant.scope_ids,
        device_id=device_id, must_change_password=must_change,
    ), business_date, org_version)


def system_principal(session: Session) -> Principal:
    """The bootstrap actor (demo seeding, CLI): sees the whole tree, may do everything."""
    ho = head_office(session)
    scope = subtree_ids(session, ho.id) if ho else frozenset()
    return Principal(staff_id=0, username="system", display_name="系统", institution_id=ho.id if ho else 0,
                     institution_name=ho.name if ho else "", roles=frozenset({"system"}),
                     permissions=frozenset(PERMISSIONS), scope_ids=scope)
