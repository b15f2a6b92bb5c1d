"""Every English message id used in templates, navigation and home panels has a Chinese
translation in some feature's locale/zh_CN.po."""

import re
from pathlib import Path

from zhanye.web import i18n

SRC = Path(__file__).resolve().parents[2] / "src" / "zhanye"
TEMPLATE_RE = [re.compile(r'''_\(\s*"([^"]+)"\s*\)'''), re.compile(r"""_\(\s*'([^']+)'\s*\)""")]
PY_RE = [
    re.compile(r'''_msg\(\s*"([^"]+)"'''),
    re.compile(r'''gettext_\(\s*"([^"]+)"'''),
    re.compile(r'''NavItem\(\s*"[^"]+",\s*"([^"]+)"'''),
    re.compile(r'''HomePanel\(\s*"[^"]+",\s*"([^"]+)"'''),
]


def message_ids() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in SRC.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for rx in TEMPLATE_RE:
            for m in rx.findall(text):
                found.setdefault(m, str(path.relative_to(SRC)))
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for rx in PY_RE:
            for m in rx.findall(text):
                found.setdefault(m, str(path.relative_to(SRC)))
    return found


def test_every_message_has_chinese() -> None:
    i18n.translations.cache_clear()
    zh = i18n.translations("zh_CN")
    catalog = getattr(zh, "_catalog", {})
    missing = {m: where for m, where in message_ids().items() if m not in catalog}
    assert not missing, "add these to <feature>/locale/zh_CN.po: " + "; ".join(
        f"{where}: {m!r}" for m, where in sorted(missing.items()))


def test_english_is_the_message_id() -> None:
    assert i18n.translations("en").gettext("Staff") == "Staff"


def test_revision_ids_fit_alembic_version_column() -> None:
    """PostgreSQL's alembic_version.version_num is varchar(32)."""
    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    ids = re.findall(r"^revision: str = ['\"]([^'\"]+)['\"]", "\n".join(
        p.read_text(encoding="utf-8") for p in versions.glob("*.py")), re.M)
    assert ids and all(len(i) <= 32 for i in ids), [i for i in ids if len(i) > 32]
