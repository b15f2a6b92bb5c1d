import pytest
from pydantic import BaseModel, ValidationError

from zhanye.core.errors import ValidationFailed
from zhanye.core.text import Name, Username
from zhanye.org.security import check_password_policy, hash_password, verify_password


class M(BaseModel):
    name: Name
    username: Username = "abc"


@pytest.mark.parametrize("name", ["柳河支行", "阿卜杜·热合曼", "Liuhe Sub-branch (2)", "东城分行"])
def test_names_accepted(name: str) -> None:
    assert M(name=name).name == name


@pytest.mark.parametrize("name", [
    "", "   ", "a\x00b", "tab\tname", "line\nbreak", "笑脸😀", "<script>alert(1)</script>",
    "x'; DROP TABLE org_staff; --", "a" * 101, "\u202eevil",
])
def test_names_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        M(name=name)


@pytest.mark.parametrize("username", ["Admin", "a", "1abc", "ab cd", "ab;cd"])
def test_usernames_refused(username: str) -> None:
    with pytest.raises(ValidationError):
        M(name="x", username=username)


def test_password_policy() -> None:
    check_password_policy("Zhanye#2026x", username="manager1", min_length=10)
    for bad in ["short1A!", "alllowercaseletters", "Manager1-Password", "NoDigitsOrSymbols"]:
        with pytest.raises(ValidationFailed):
            check_password_policy(bad, username="manager1", min_length=10)


def test_argon2id_hash() -> None:
    h = hash_password("Zhanye#2026x")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "Zhanye#2026x")
    assert not verify_password(h, "Zhanye#2026y")
    assert not verify_password("not-a-hash", "x")
