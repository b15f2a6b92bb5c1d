"""国密 primitives for personal data and audit: SM3 hashing, SM4-GCM encryption at rest,
keyed SM3 blind indexes, and SM2 signatures (gmssl-pyx, the native GmSSL 3 binding).

Keys are derived from the master secret (ZHANYE_SECRET_KEY) with HKDF-SM3 so that the data key
and the index key are independent.
"""

from __future__ import annotations

import base64
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_CIPHER_VERSION = b"\x01"


def sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def sm3_hex(data: bytes | str) -> str:
    return sm3(data.encode() if isinstance(data, str) else data).hex()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hmac as chmac

    h = chmac.HMAC(key, hashes.SM3())
    h.update(data)
    return h.finalize()


def derive_key(secret: str, purpose: str, length: int) -> bytes:
    return HKDF(algorithm=hashes.SM3(), length=length, salt=b"zhanye", info=purpose.encode()).derive(
        secret.encode()
    )


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    nonce = os.urandom(12)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    ct = enc.update(plaintext) + enc.finalize()
    return nonce + ct + enc.tag


def sm4_gcm_decrypt(key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    nonce, ct, tag = blob[:12], blob[12:-16], blob[-16:]
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(aad)
    return dec.update(ct) + dec.finalize()


class FieldCipher:
    """Encrypts personal fields (C2/C3) for storage and computes their blind index."""

    def __init__(self, secret: str) -> None:
        self._data_key = derive_key(secret, "zhanye/sm4/pii-data-key/v1", 16)
        self._index_key = derive_key(secret, "zhanye/sm3/blind-index/v1", 32)

    def encrypt(self, value: str) -> str:
        blob = sm4_gcm_encrypt(self._data_key, value.encode("utf-8"))
        return base64.b64encode(_CIPHER_VERSION + blob).decode("ascii")

    def decrypt(self, token: str) -> str:
        raw = base64.b64decode(token)
        if raw[:1] != _CIPHER_VERSION:
            raise ValueError("unknown cipher version")
        return sm4_gcm_decrypt(self._data_key, raw[1:]).decode("utf-8")

    def blind_index(self, value: str, *, kind: str) -> str:
        """Keyed SM3 of a normalized value, scoped by kind so equal values of two kinds differ."""
        norm = value.strip().upper()
        return hmac_sm3(self._index_key, f"{kind}:{norm}".encode()).hex()


@lru_cache(maxsize=4)
def field_cipher(secret: str | None = None) -> FieldCipher:
    if secret is None:
        from zhanye.core.config import get_settings

        secret = get_settings().secret_key
    return FieldCipher(secret)


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# --- SM2 (signatures for contracts and device keys) -------------------------------------------

def sm2_generate_keypair() -> tuple[bytes, bytes]:
    """Return (public_key 64 bytes x||y, private_key 32 bytes)."""
    import gmssl_pyx

    pub, priv = gmssl_pyx.sm2_key_generate()
    return pub, priv


def sm2_sign(private_key: bytes, public_key: bytes, message: bytes) -> bytes:
    import gmssl_pyx

    return gmssl_pyx.sm2_sign(private_key, public_key, message)


def sm2_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    import gmssl_pyx

    try:
        return bool(gmssl_pyx.sm2_verify(public_key, message, signature))
    except Exception:  # noqa: BLE001 - a malformed signature is simply not valid
        return False
