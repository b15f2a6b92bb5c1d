import pytest

from zhanye.core.crypto import FieldCipher, sm2_generate_keypair, sm2_sign, sm2_verify, sm3_hex
from zhanye.core.masking import mask_card, mask_id_number, mask_name, mask_phone


def test_sm3_known_vector() -> None:
    # GB/T 32905 test vector "abc"
    assert sm3_hex("abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_field_cipher_round_trip_and_blind_index() -> None:
    c = FieldCipher("test-secret")
    token = c.encrypt("110101199003078515")
    assert "110101199003078515" not in token
    assert c.decrypt(token) == "110101199003078515"
    assert c.encrypt("x") != c.encrypt("x")  # random nonce
    assert c.blind_index("11010119900307851x", kind="id") == c.blind_index("11010119900307851X", kind="id")
    assert c.blind_index("13800138000", kind="phone") != c.blind_index("13800138000", kind="id")
    assert FieldCipher("other").blind_index("a", kind="id") != c.blind_index("a", kind="id")


def test_tampered_ciphertext_is_refused() -> None:
    import base64

    c = FieldCipher("test-secret")
    raw = bytearray(base64.b64decode(c.encrypt("13800138000")))
    raw[-1] ^= 1
    with pytest.raises(Exception):
        c.decrypt(base64.b64encode(bytes(raw)).decode())


def test_sm2_sign_verify() -> None:
    pub, priv = sm2_generate_keypair()
    sig = sm2_sign(priv, pub, b"contract digest")
    assert sm2_verify(pub, b"contract digest", sig)
    assert not sm2_verify(pub, b"contract digesT", sig)


def test_masks() -> None:
    assert mask_id_number("110101199003078515") == "1****************5"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_card("6222021234567890123") == "622202*********0123"
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李*"
