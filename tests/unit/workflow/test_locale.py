"""Every English message id of the workflow pages has a Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from zhanye.workflow import views

PKG = Path(views.__file__).parent
DYNAMIC = ["Running", "Returned", "Approved", "Rejected", "Cancelled", "Open", "Done", "Start", "Approve", "Reject",
           "Return", "Delegate", "Cosign", "Comment", "Resubmit", "Withdraw", "Claim", "Release",
           *views.KIND_NAMES.values(), *views.LEVEL_NAMES.values()]


def test_every_message_id_is_translated() -> None:
    with open(PKG / "locale" / "zh_CN.po", "rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    translated = {m.id for m in catalog if m.id and m.string}
    used = set(DYNAMIC)
    pattern = re.compile(r"""_\(\s*(?:"([^"]+)"|'([^']+)')\s*\)""")
    for path in [*PKG.glob("templates/workflow/*.html"), PKG / "views.py"]:
        for a, b in pattern.findall(path.read_text(encoding="utf-8")):
            used.add(a or b)
    used |= {"My tasks", "Processes", "SLA board", "Process definitions"}  # navigation labels
    missing = sorted(used - translated)
    assert not missing, f"add to workflow/locale/zh_CN.po: {missing}"
