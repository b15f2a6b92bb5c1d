"""Electronic-signature keys: the bank's seal key and the customer's signing key.

Trust model, stated plainly:

* **Bank seal.** One SM2 key pair per bank (``lending_seal_key``); the private key is stored
  SM4-GCM encrypted under a key derived from ZHANYE_SECRET_KEY (``zhanye.core.crypto``). Anyone
  with the database and the master secret can seal. Production should keep the seal key in an HSM
  or with a licensed e-seal provider and put its certificate here.
* **Customer signature.** In production the customer's key belongs to a licensed CA (电子认证服务
  机构): after identity verification and the SMS check the CA issues a one-time *event
  certificate* (事件证书) and signs the contract digest on the customer's behalf. ``SigningCA``
  is that provider interface. ``SandboxCA`` imitates it in-process: it generates a fresh SM2 key
  pair at signing, signs, returns the public key inside a JSON "certificate" that is *not* chained
  to any root, and discards the private key. Sandbox signatures prove the file is unchanged since
  signing, not who signed: that is the CA's job in production.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.crypto import field_cipher, sm2_generate_keypair, sm2_sign, sm2_verify, sm3_hex
from zhanye.core.db import lock_for_update, utcnow
from zhanye.lending.models import SealKey


@dataclass(frozen=True)
class CustomerSignature:
    public_key: bytes
    certificate: str
    signature: bytes


class SigningCA(Protocol):
    name: str

    def sign_for_customer(self, *, subject_name: str, subject_id_hash: str, digest: bytes,
                          purpose: str) -> CustomerSignature: ...


class SandboxCA:
    """In-process stand-in for a CA issuing one-time event certificates (see the module doc)."""

    name = "sandbox.ca"

    def sign_for_customer(self, *, subject_name: str, subject_id_hash: str, digest: bytes,
                          purpose: str) -> CustomerSignature:
        public, private = sm2_generate_keypair()
        signature = sm2_sign(private, public, digest)
        del private  # one-time key: never stored
        now = utcnow()
        cert = {
            "type": "sandbox-event-certificate", "issuer": "Zhanye Sandbox CA (not a trust anchor)",
            "serial": secrets.token_hex(8), "subject": subject_name, "subject_id_sm3": subject_id_hash,
            "purpose": purpose, "public_key_hex": public.hex(), "algorithm": "SM2-with-SM3",
            "not_before": now.isoformat(), "not_after": (now + dt.timedelta(minutes=30)).isoformat(),
        }
        return CustomerSignature(public, json.dumps(cert, ensure_ascii=False, sort_keys=True), signature)


_ca: SigningCA = SandboxCA()


def signing_ca() -> SigningCA:
    return _ca


def set_signing_ca(ca: SigningCA) -> None:
    global _ca
    _ca = ca


def ensure_seal_key(session: Session, *, actor: Principal | None = None) -> SealKey:
    """The active bank seal key, created (and audited) on first use."""
    key = session.execute(lock_for_update(select(SealKey).where(SealKey.active.is_(True))
                                          .order_by(SealKey.id.desc()).limit(1), session)).scalar_one_or_none()
    if key is not None:
        return key
    public, private = sm2_generate_keypair()
    key = SealKey(name="合同专用章", public_key_hex=public.hex(),
                  private_key_enc=field_cipher().encrypt(private.hex()), active=True)
    session.add(key)
    session.flush()
    audit.record(session, action="seal_key.create", object_type="seal_key", object_id=key.id, actor=actor,
                 changes={"name": key.name, "fingerprint": fingerprint(key.public_key_hex)})
    return key


def seal(key: SealKey, message: bytes) -> bytes:
    private = bytes.fromhex(field_cipher().decrypt(key.private_key_enc))
    return sm2_sign(private, bytes.fromhex(key.public_key_hex), message)


def verify(public_key_hex: str, message: bytes, signature_hex: str) -> bool:
    try:
        return sm2_verify(bytes.fromhex(public_key_hex), message, bytes.fromhex(signature_hex))
    except ValueError:
        return False


def fingerprint(public_key_hex: str) -> str:
    return sm3_hex(bytes.fromhex(public_key_hex))[:16].upper()
