"""Image storage: local disk (atomic, keys cannot escape) and S3-compatible (SigV4) against an
in-process fake S3 that checks every request's signature."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from zhanye.integrations.storage import LocalDiskStorage, S3Storage, _sha256_hex, sigv4_headers


def test_sigv4_matches_the_aws_reference_vector() -> None:
    # AWS Signature Version 4 test suite, "get-vanilla"
    h = sigv4_headers(method="GET", url="https://example.amazonaws.com/", region="us-east-1", service="service",
                      access_key="AKIDEXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                      payload_hash=_sha256_hex(b""), amz_date="20150830T123600Z")
    assert h["Authorization"].endswith(
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")


def test_local_disk(tmp_path) -> None:
    st = LocalDiskStorage(tmp_path)
    st.put("customers/1/a.jpg", b"abc", content_type="image/jpeg")
    assert st.get("customers/1/a.jpg") == b"abc" and st.exists("customers/1/a.jpg")
    st.delete("customers/1/a.jpg")
    assert not st.exists("customers/1/a.jpg")
    for bad in ("../etc/passwd", "/abs", "a//b", "a/../../b", ""):
        with pytest.raises(ValueError):
            st.put(bad, b"x", content_type="image/jpeg")


class _FakeS3(BaseHTTPRequestHandler):
    objects: dict[str, bytes] = {}
    bad_signatures = 0

    def log_message(self, *args: object) -> None:
        pass

    def _check(self, body: bytes) -> bool:
        expected = sigv4_headers(method=self.command, url=f"http://{self.headers['host']}{self.path}",
                                 region="us-east-1", service="s3", access_key="AK", secret_key="SK",
                                 payload_hash=_sha256_hex(body), amz_date=self.headers["x-amz-date"],
                                 extra_headers={"content-type": self.headers["content-type"]}
                                 if self.headers.get("content-type") else None)
        ok = expected["Authorization"] == self.headers.get("Authorization")
        if not ok:
            type(self).bad_signatures += 1
            self.send_response(403)
            self.end_headers()
        return ok

    def do_PUT(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["content-length"]))
        if self._check(body):
            self.objects[self.path] = body
            self.send_response(200)
            self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        if self._check(b""):
            data = self.objects.get(self.path)
            self.send_response(200 if data is not None else 404)
            self.send_header("content-length", str(len(data or b"")))
            self.end_headers()
            self.wfile.write(data or b"")

    def do_HEAD(self) -> None:  # noqa: N802
        if self._check(b""):
            self.send_response(200 if self.path in self.objects else 404)
            self.end_headers()

    def do_DELETE(self) -> None:  # noqa: N802
        if self._check(b""):
            self.objects.pop(self.path, None)
            self.send_response(204)
            self.end_headers()


def test_s3_storage_against_a_signature_checking_fake() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeS3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        st = S3Storage(endpoint=f"http://127.0.0.1:{server.server_port}", bucket="zhanye", access_key="AK",
                       secret_key="SK")
        st.put("customers/7/x-y.jpg", b"\xff\xd8\xffdata", content_type="image/jpeg")
        assert st.exists("customers/7/x-y.jpg")
        assert st.get("customers/7/x-y.jpg") == b"\xff\xd8\xffdata"
        st.delete("customers/7/x-y.jpg")
        assert not st.exists("customers/7/x-y.jpg")
        with pytest.raises(FileNotFoundError):
            st.get("customers/7/x-y.jpg")
        assert _FakeS3.bad_signatures == 0
        wrong = S3Storage(endpoint=st.endpoint, bucket="zhanye", access_key="AK", secret_key="other")
        with pytest.raises(OSError):
            wrong.put("customers/7/z.jpg", b"x", content_type="image/jpeg")
        assert _FakeS3.bad_signatures == 1
    finally:
        server.shutdown()
