"""SMS provider: sends verification codes. The sandbox keeps sent messages in memory
(``SandboxSms.outbox``) so tests and demos can read the code; phone 13900000998 fails."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from zhanye.integrations.base import call_with_protection, registry


@dataclass(frozen=True)
class SentMessage:
    phone: str
    text: str
    code: str | None


class SmsProvider(Protocol):
    def send_code(self, *, phone: str, code: str, purpose: str) -> None: ...


class SandboxSms:
    name = "sandbox.sms"

    def __init__(self) -> None:
        self.outbox: list[SentMessage] = []
        self._lock = threading.Lock()

    def send_code(self, *, phone: str, code: str, purpose: str) -> None:
        if phone == "13900000998":
            raise RuntimeError("sandbox: SMS gateway error for test phone")
        with self._lock:
            self.outbox.append(SentMessage(phone, f"【展业银行】验证码 {code}，用于{purpose}，5分钟内有效。", code))

    def last_code(self, phone: str) -> str | None:
        with self._lock:
            for msg in reversed(self.outbox):
                if msg.phone == phone:
                    return msg.code
        return None


registry.register_default("sms", SandboxSms)


def send_code(*, phone: str, code: str, purpose: str, timeout_s: float = 3.0) -> None:
    prov = registry.get("sms")
    call_with_protection(registry.breaker("sms"), lambda: prov.send_code(phone=phone, code=code, purpose=purpose),
                         timeout_s=timeout_s)
