"""Chart of accounts: GL accounts per book (the institution that keeps the books, usually the
head office; every institution below it posts to that chart)."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.committed_cache import CommittedCache
from zhanye.core.context import Principal
from zhanye.core.errors import NotFound, ValidationFailed
from zhanye.ledger.models import GL_TYPES, GLAccount

# code, Chinese name, type, is_control
STANDARD_CHART: list[tuple[str, str, str, bool]] = [
    ("1001", "库存现金", "asset", False),
    ("1011", "存放中央银行款项（清算备付）", "asset", False),
    ("1131", "清算资金往来（在途）", "asset", False),
    ("1301", "个人贷款-正常", "asset", True),
    ("1302", "个人贷款-关注", "asset", True),
    ("1303", "个人贷款-次级", "asset", True),
    ("1304", "个人贷款-可疑", "asset", True),
    ("1305", "个人贷款-损失", "asset", True),
    ("1321", "应收利息", "asset", True),
    ("1441", "待处理挂账（暂收暂付）", "asset", False),
    ("2011", "个人活期存款-电子账户", "liability", True),
    ("2012", "个人活期存款", "liability", True),
    ("2013", "个人定期存款", "liability", True),
    ("2014", "大额存单", "liability", True),
    ("2231", "应付利息", "liability", False),
    ("4001", "实收资本", "equity", False),
    ("6011", "利息收入", "income", False),
    ("6012", "罚息收入", "income", False),
    ("6021", "手续费收入", "income", False),
    ("6411", "利息支出", "expense", False),
]


def ancestors(session: Session, institution_id: int) -> list[int]:
    """The institution and its ancestors, nearest first (read from the kernel's institution path)."""
    path = session.execute(text("SELECT path FROM org_institution WHERE id = :i"),
                           {"i": institution_id}).scalar_one_or_none()
    if path is None:
        raise NotFound("机构不存在", "The institution does not exist")
    ids = [int(p) for p in path.strip("/").split("/") if p]
    if institution_id not in ids:
        ids.append(institution_id)
    return list(reversed(ids))


_book_cache: dict[tuple[str, int], int] = {}


def _db_key(session: Session) -> str:
    return str(session.get_bind().engine.url)


def book_of(session: Session, institution_id: int) -> int:
    """The institution whose chart an institution posts to: the nearest ancestor with a chart
    (cached per database: charts are created once and books never move)."""
    key = (_db_key(session), institution_id)
    if key in _book_cache:
        return _book_cache[key]
    book = _find_book(session, institution_id)
    _book_cache[key] = book
    return book


def _find_book(session: Session, institution_id: int) -> int:
    chain = ancestors(session, institution_id)
    have = set(session.execute(select(GLAccount.institution_id).where(
        GLAccount.institution_id.in_(chain)).distinct()).scalars())
    for inst in chain:
        if inst in have:
            return inst
    raise NotFound("该机构尚未建立会计科目表", "No chart of accounts covers this institution")


def gl_by_code(session: Session, book_id: int, code: str) -> GLAccount:
    gl = session.execute(select(GLAccount).where(GLAccount.institution_id == book_id,
                                                 GLAccount.code == code)).scalar_one_or_none()
    if gl is None:
        raise ValidationFailed.field(["gl_code"], f"科目 {code} 不存在", f"GL account {code} does not exist")
    return gl


def gl_ref(session: Session, book_id: int, code: str) -> tuple[int, bool]:
    """``gl_by_code``'s id and control flag, for postings: GL accounts are never changed or
    deleted once created, so a committed answer is not read again (``CommittedCache``)."""
    known = _GL_REFS.get(session, (book_id, code))
    if known is None:
        gl = gl_by_code(session, book_id, code)
        known = (gl.id, gl.is_control)
        _GL_REFS.note(session, (book_id, code), known)
    return known


_GL_REFS = CommittedCache("ledger.gl_refs")


def ensure_gl(session: Session, *, actor: Principal, book_id: int, code: str, name: str, type: str,
              is_control: bool = False) -> GLAccount:
    """Create a GL account if missing (e.g. lending adds loans receivable per product)."""
    if type not in GL_TYPES:
        raise ValidationFailed.field(["type"], "科目类型无效", "Unknown GL account type")
    gl = session.execute(select(GLAccount).where(GLAccount.institution_id == book_id,
                                                 GLAccount.code == code)).scalar_one_or_none()
    if gl is not None:
        return gl
    gl = GLAccount(institution_id=book_id, code=code, name=name, type=type, is_control=is_control)
    session.add(gl)
    session.flush()
    audit.record(session, action="ledger.gl.create", object_type="ledger_gl_account", object_id=gl.id,
                 changes={"code": code, "name": name, "type": type, "control": is_control}, actor=actor)
    return gl


def ensure_standard_chart(session: Session, *, actor: Principal, book_id: int) -> list[GLAccount]:
    return [ensure_gl(session, actor=actor, book_id=book_id, code=c, name=n, type=t, is_control=ctl)
            for c, n, t, ctl in STANDARD_CHART]


def list_gl(session: Session, book_id: int) -> list[GLAccount]:
    return list(session.execute(select(GLAccount).where(GLAccount.institution_id == book_id)
                                .order_by(GLAccount.code)).scalars())
