"""Object storage for images behind one interface. The default keeps files on local disk under
``ZHANYE_STORAGE_DIR``; ``S3Storage`` talks to any S3-compatible service
(``ZHANYE_PROVIDER_STORAGE=zhanye.integrations.storage:s3_from_env``), and a bank can plug its own
implementation the same way (``package.module:factory``).

Keys are relative paths made of ``[A-Za-z0-9_.-/]``; a key never escapes the root.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from zhanye.integrations.base import registry

_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]{0,199}$")


class Storage(Protocol):
    def put(self, key: str, data: bytes, *, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


def check_key(key: str) -> str:
    if not _KEY_RE.match(key) or ".." in key.split("/") or "//" in key:
        raise ValueError(f"invalid storage key {key!r}")
    return key


class LocalDiskStorage:
    """Files under a root folder; writes are atomic (temporary file, then rename)."""

    name = "local"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"invalid storage key {key!r}")
        return path

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


# --- S3-compatible object storage (AWS Signature Version 4, path-style URLs) ------------------------

def _sha256_hex(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    import hashlib
    import hmac

    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def sigv4_headers(*, method: str, url: str, region: str, service: str, access_key: str, secret_key: str,
                  payload_hash: str, amz_date: str, extra_headers: dict[str, str] | None = None) -> dict[str, str]:
    """Headers (with ``Authorization``) signing a request with AWS Signature Version 4."""
    from urllib.parse import quote, urlsplit

    parts = urlsplit(url)
    headers = {"host": parts.netloc, "x-amz-date": amz_date, **{k.lower(): v for k, v in (extra_headers or {}).items()}}
    if service == "s3":
        headers["x-amz-content-sha256"] = payload_hash
    signed = ";".join(sorted(headers))
    canonical_headers = "".join(f"{k}:{' '.join(str(headers[k]).split())}\n" for k in sorted(headers))
    query = "&".join(sorted(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, _, v in
                            (p.partition("=") for p in parts.query.split("&") if p)))
    canonical = "\n".join([method, quote(parts.path or "/", safe="/-_.~"), query, canonical_headers, signed,
                           payload_hash])
    day = amz_date[:8]
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, _sha256_hex(canonical.encode())])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), service), "aws4_request")
    signature = _hmac(key, to_sign).hex()
    out = {k: v for k, v in headers.items() if k != "host"}
    out["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, "
                            f"Signature={signature}")
    return out


class S3Storage:
    """Objects in a bucket of any S3-compatible service (MinIO, Ceph RGW, OSS/COS in S3 mode),
    path-style URLs ``{endpoint}/{bucket}/{key}``, signed with AWS Signature Version 4.

    Configure with ``ZHANYE_PROVIDER_STORAGE=zhanye.integrations.storage:s3_from_env`` and
    ``ZHANYE_S3_ENDPOINT``, ``ZHANYE_S3_BUCKET``, ``ZHANYE_S3_ACCESS_KEY``, ``ZHANYE_S3_SECRET_KEY``,
    ``ZHANYE_S3_REGION`` (default us-east-1)."""

    name = "s3"

    def __init__(self, *, endpoint: str, bucket: str, access_key: str, secret_key: str,
                 region: str = "us-east-1", timeout_s: float = 10.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.timeout_s = timeout_s

    def _request(self, method: str, key: str, data: bytes = b"", content_type: str | None = None) -> tuple[int, bytes]:
        import datetime as dt
        import urllib.error
        import urllib.request
        from urllib.parse import quote

        url = f"{self.endpoint}/{self.bucket}/{quote(check_key(key), safe='/-_.~')}"
        extra = {"content-type": content_type} if content_type else {}
        headers = sigv4_headers(method=method, url=url, region=self.region, service="s3",
                                access_key=self.access_key, secret_key=self.secret_key,
                                payload_hash=_sha256_hex(data), amz_date=dt.datetime.now(dt.UTC).strftime(
                                    "%Y%m%dT%H%M%SZ"), extra_headers=extra)
        req = urllib.request.Request(url, data=data if method == "PUT" else None, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:  # noqa: S310 - configured endpoint
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        status, body = self._request("PUT", key, data, content_type)
        if status not in (200, 201, 204):
            raise OSError(f"S3 PUT {key} failed with HTTP {status}: {body[:200]!r}")

    def get(self, key: str) -> bytes:
        status, body = self._request("GET", key)
        if status == 404:
            raise FileNotFoundError(key)
        if status != 200:
            raise OSError(f"S3 GET {key} failed with HTTP {status}")
        return body

    def delete(self, key: str) -> None:
        status, _ = self._request("DELETE", key)
        if status not in (200, 204, 404):
            raise OSError(f"S3 DELETE {key} failed with HTTP {status}")

    def exists(self, key: str) -> bool:
        status, _ = self._request("HEAD", key)
        return status == 200


def s3_from_env() -> S3Storage:
    env = os.environ
    return S3Storage(endpoint=env["ZHANYE_S3_ENDPOINT"], bucket=env["ZHANYE_S3_BUCKET"],
                     access_key=env["ZHANYE_S3_ACCESS_KEY"], secret_key=env["ZHANYE_S3_SECRET_KEY"],
                     region=env.get("ZHANYE_S3_REGION", "us-east-1"))


def _default_storage() -> LocalDiskStorage:
    from zhanye.core.config import get_settings

    return LocalDiskStorage(os.environ.get("ZHANYE_STORAGE_DIR") or get_settings().storage_dir)


registry.register_default("storage", _default_storage)


def storage() -> Storage:
    return registry.get("storage")
