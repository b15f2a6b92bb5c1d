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



def _translations_by_catalog() -> dict[str, dict[str, str]]:
    from babel.messages.pofile import read_po

    out: dict[str, dict[str, str]] = {}
    for path in i18n.catalog_files("zh_CN"):
        with path.open("rb") as fh:
            for msg in read_po(fh):
                if msg.id and msg.string:
                    out.setdefault(str(msg.id), {})[str(path.relative_to(SRC))] = str(msg.string)
    return out


def test_python_message_ids_mean_one_thing() -> None:
    """Navigation, home panels and messages built in Python use the merged catalog: a message id
    they use must have one wording in every catalog that has it."""
    python_ids = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for rx in PY_RE:
            python_ids.update(rx.findall(text))
    by_id = _translations_by_catalog()
    clashes = {m: by_id[m] for m in python_ids if m in by_id and len(set(by_id[m].values())) > 1}
    assert not clashes, clashes


def test_a_template_speaks_its_own_features_words() -> None:
    """The same English worded two ways by two features: each feature's templates get their own."""
    from jinja2 import DictLoader, Environment

    from zhanye.web import templating

    by_id = _translations_by_catalog()
    assert len(set(by_id["Active"].values())) > 1  # 在职 (staff) and 生效 (credit line)
    env = Environment(loader=DictLoader({"org/t.html": "{{ _('Active') }}", "origination/t.html": "{{ _('Active') }}",
                                         "online/t.html": "{{ _('Available balance') }}"}),
                      extensions=["jinja2.ext.i18n"], autoescape=True)
    env.install_gettext_callables(templating._template_gettext, templating._template_ngettext,  # type: ignore[attr-defined]
                                  newstyle=True)
    token = i18n.set_locale("zh_CN")
    try:
        assert env.get_template("org/t.html").render() == "在职"
        assert env.get_template("origination/t.html").render() == "生效"
        assert env.get_template("online/t.html").render() == "可用余额"  # from its own catalog
    finally:
        i18n._current.reset(token)  # type: ignore[arg-type]
