"""The web config (exporter-toolkit format): TLS, client certificates,
basic auth and headers, against the real daemon with Python's ssl and
Debian's openssl and htpasswd (the commands docs/security.md "TLS, basic auth and headers: the web config" shows)."""
import base64
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import harness
from harness import Daemon, JITTERD, host_only, make_cert, parse_metrics, sh, total

PROBES = ()
WHY = "HTTP/TLS behaviour, the same on every kernel (needs openssl and htpasswd)"


def bcrypt(user, password, cost=5):
    """htpasswd -nbBC (apache2-utils), as docs/security.md shows (cost 5 keeps tests quick)."""
    out = sh("htpasswd", "-nbBC", str(cost), user, password).strip()
    name, _, h = out.partition(":")
    assert name == user and h.startswith("$2y$"), out
    return h


class Certs:
    """A server certificate, a CA and a client certificate it signed, and a
    client certificate it did not, in a directory of their own."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="jitterd-tls-")
        self.dir = d = self.tmp.name
        self.server = make_cert(d, "server", "localhost")
        self.ca = make_cert(d, "ca", "jitterd test CA")
        self.client = make_cert(d, "client", "scraper", ca="ca")
        self.stranger = make_cert(d, "stranger", "stranger")

    def web_config(self, text, name="web.yml"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def close(self):
        self.tmp.cleanup()


def tls_get(port, path="/metrics", cafile=None, cert=None, user=None, password=None,
            timeout=10):
    """(status, headers, body) over TLS, verifying the server against cafile."""
    ctx = ssl.create_default_context(cafile=cafile)
    if cert:
        ctx.load_cert_chain(*cert)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)
    headers = {}
    if user is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % (user, password)).encode()).decode()
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    finally:
        conn.close()


def handshake_fails(port, cafile, cert=None):
    """True when the server ends the TLS handshake (or the first read)."""
    try:
        status, _, _ = tls_get(port, "/healthz", cafile=cafile, cert=cert)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        return True
    return False


TLS_ONLY = """tls_server_config:
  cert_file: server.pem
  key_file: server.key
"""


@host_only(WHY)
def test_tls_is_served_and_plain_http_is_not():
    c = Certs()
    try:
        with Daemon(args=["--web-config", c.web_config(TLS_ONLY)]) as d:
            status, _, body = tls_get(d.port, cafile=c.server[0])
            assert status == 200 and "jitterd_build_info" in body
            # The same port in clear text gets no page.
            assert "200" not in harness.raw_http(d.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            assert "serving https://" in d.output()
    finally:
        c.close()


@host_only(WHY)
def test_basic_auth_401_with_www_authenticate_200_with_the_right_password():
    c = Certs()
    try:
        cfg = TLS_ONLY + "basic_auth_users:\n  prometheus: %s\n" % bcrypt("prometheus", "s3cret")
        with Daemon(args=["--web-config", c.web_config(cfg)]) as d:
            ca = c.server[0]
            for user, password in ((None, None), ("prometheus", "wrong"), ("nobody", "s3cret"),
                                   ("prometheus", "")):
                status, headers, _ = tls_get(d.port, cafile=ca, user=user, password=password)
                assert status == 401, (user, password, status)
                assert headers.get("www-authenticate", "").startswith('Basic realm="jitterd"'), headers
            status, _, body = tls_get(d.port, cafile=ca, user="prometheus", password="s3cret")
            assert status == 200 and "jitterd_build_info" in body
            # Every page, not just /metrics; the method is not told before the password.
            assert tls_get(d.port, "/healthz", cafile=ca)[0] == 401
    finally:
        c.close()


@host_only(WHY)
def test_a_successful_bcrypt_check_is_cached_and_a_failed_one_is_not():
    c = Certs()
    try:
        cfg = TLS_ONLY + "basic_auth_users:\n  prometheus: %s\n" % bcrypt("prometheus", "s3cret")
        with Daemon(args=["--web-config", c.web_config(cfg)]) as d:
            ca = c.server[0]

            def counters():
                _, _, body = tls_get(d.port, cafile=ca, user="prometheus", password="s3cret")
                m = parse_metrics(body)
                return (total(m, "jitterd_http_auth_bcrypt_checks_total"),
                        total(m, "jitterd_http_auth_cache_hits_total"),
                        total(m, "jitterd_http_auth_denied_total"))

            checks0, hits0, _ = counters()  # the first success: one bcrypt
            assert checks0 == 1, checks0
            for _ in range(5):
                tls_get(d.port, "/healthz", cafile=ca, user="prometheus", password="s3cret")
            for _ in range(3):
                assert tls_get(d.port, "/healthz", cafile=ca, user="prometheus", password="bad")[0] == 401
            checks, hits, denied = counters()
            # 5 + 1 successes from the cache; each of the 3 failures a bcrypt of its own.
            assert checks == checks0 + 3, (checks0, checks)
            assert hits == hits0 + 6, (hits0, hits)
            assert denied == 3, denied
    finally:
        c.close()


@host_only(WHY)
def test_headers_of_the_web_config_are_on_every_reply():
    c = Certs()
    try:
        cfg = TLS_ONLY + """http_server_config:
  headers:
    Strict-Transport-Security: max-age=31536000
    X-Content-Type-Options: nosniff
    X-Frame-Options: deny
"""
        with Daemon(args=["--web-config", c.web_config(cfg)]) as d:
            for path, status in (("/metrics", 200), ("/nope", 404)):
                got, headers, _ = tls_get(d.port, path, cafile=c.server[0])
                assert got == status
                assert headers.get("strict-transport-security") == "max-age=31536000", headers
                assert headers.get("x-content-type-options") == "nosniff"
                assert headers.get("x-frame-options") == "deny"
    finally:
        c.close()


def client_auth_config(kind):
    return TLS_ONLY + "  client_auth_type: %s\n  client_ca_file: ca.pem\n" % kind


@host_only(WHY)
def test_require_and_verify_client_cert():
    c = Certs()
    try:
        with Daemon(args=["--web-config", c.web_config(client_auth_config("RequireAndVerifyClientCert"))]) as d:
            ca = c.server[0]
            assert tls_get(d.port, cafile=ca, cert=c.client)[0] == 200
            assert handshake_fails(d.port, ca), "no client certificate was let in"
            assert handshake_fails(d.port, ca, cert=c.stranger), "a certificate of another CA was let in"
            assert tls_get(d.port, cafile=ca, cert=c.client)[0] == 200  # still serving
    finally:
        c.close()


@host_only(WHY)
def test_verify_client_cert_if_given():
    c = Certs()
    try:
        with Daemon(args=["--web-config", c.web_config(client_auth_config("VerifyClientCertIfGiven"))]) as d:
            ca = c.server[0]
            assert tls_get(d.port, cafile=ca)[0] == 200
            assert tls_get(d.port, cafile=ca, cert=c.client)[0] == 200
            assert handshake_fails(d.port, ca, cert=c.stranger)
    finally:
        c.close()


@host_only(WHY)
def test_require_any_client_cert():
    c = Certs()
    try:
        with Daemon(args=["--web-config", c.web_config(client_auth_config("RequireAnyClientCert"))]) as d:
            ca = c.server[0]
            assert handshake_fails(d.port, ca)
            assert tls_get(d.port, cafile=ca, cert=c.stranger)[0] == 200
    finally:
        c.close()


BAD_WEB_CONFIGS = [
    # (text, line, col, words the message must contain)
    ("tls_server_config:\n  cert_file: server.pem\n  bogus: 1\n", 3, 3, "unknown key"),
    ("tls_server_config:\n  cert_file: server.pem\n", 2, 3, "missing key_file"),
    ("tls_server_config:\n  cert_file: server.pem\n  key_file: ca.key\n", 3, 13, "do not make"),
    ("tls_server_config:\n  cert_file: none.pem\n  key_file: server.key\n", 2, 14, "cannot read"),
    ("tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
     "  client_auth_type: RequireAndVerifyClientCert\n", 4, 21, "client_ca_file"),
    ("tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
     "  min_version: TLS14\n", 4, 16, "TLS13"),
    ("tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
     "  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n", 4, 19, "RC4"),
    ("basic_auth_users:\n  prometheus: plaintext\n", 2, 15, "bcrypt"),
    ("basic_auth_users:\n  prometheus: $1$abc$def\n", 2, 15, "bcrypt"),
    ("http_server_config:\n  headers:\n    Set-Cookie: a\n", 3, 5, "cannot be configured"),
    ("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", 3, 22, "deny"),
]


@host_only(WHY)
def test_bad_web_config_exits_2_with_file_line_col_and_check_config_checks_it():
    c = Certs()
    try:
        for text, line, col, words in BAD_WEB_CONFIGS:
            path = c.web_config(text, "bad.yml")
            for args in (["--web-config", path, "--check-config"], ["--web-config", path, "--listen", "127.0.0.1:0"]):
                r = subprocess.run([JITTERD, *args], capture_output=True, text=True, timeout=30)
                assert r.returncode == 2, (text, args, r.returncode, r.stderr)
                first = r.stderr.splitlines()[0]
                assert first.startswith("%s:%d:%d: " % (path, line, col)), (text, r.stderr)
                assert words in first, (text, first)
        # Through jitterd.yaml's web_config:, relative to its directory.
        cfg = c.web_config("web_config: bad.yml\n", "jitterd.yaml")
        r = subprocess.run([JITTERD, "--config", cfg, "--check-config"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and r.stderr.startswith(os.path.join(c.dir, "bad.yml") + ":"), r.stderr
        c.web_config(TLS_ONLY, "bad.yml")
        r = subprocess.run([JITTERD, "--config", cfg, "--check-config"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    finally:
        c.close()


def served_cert(port):
    """The DER of the certificate the server presents."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s) as t:
            return t.getpeercert(binary_form=True)


def pem_der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def wait_for(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


@host_only(WHY)
def test_a_rotated_certificate_is_served_after_sighup_and_a_bad_one_keeps_the_old():
    c = Certs()
    try:
        # Readable by the user jitterd drops to (see docs/security.md "Reload and privilege").
        os.chmod(c.dir, 0o755)
        for f in os.listdir(c.dir):
            os.chmod(os.path.join(c.dir, f), 0o644)
        cfg = c.web_config(TLS_ONLY + "basic_auth_users:\n  a: %s\n" % bcrypt("a", "1"))
        os.chmod(cfg, 0o644)
        with Daemon(args=["--web-config", cfg]) as d:
            first = served_cert(d.port)
            assert first == pem_der(c.server[0])
            # Hold a connection open across the reload: it finishes as it was.
            make_cert(c.dir, "server", "localhost")  # the rotation, in place
            for f in ("server.pem", "server.key"):
                os.chmod(os.path.join(c.dir, f), 0o644)
            with open(cfg, "a") as f:
                f.write("  b: %s\n" % bcrypt("b", "2"))
            d.proc.send_signal(signal.SIGHUP)
            assert wait_for(lambda: re.search(r"reload: .* applied", d.output())), d.output()
            assert served_cert(d.port) == pem_der(c.server[0]) != first
            ca = c.server[0]
            assert tls_get(d.port, "/healthz", cafile=ca, user="b", password="2")[0] == 200
            # A bad file: the error with file:line:col, and the config in force stays.
            with open(cfg, "a") as f:
                f.write("bogus: 1\n")
            d.proc.send_signal(signal.SIGHUP)
            assert wait_for(lambda: re.search(re.escape(cfg) + r":\d+:1: unknown key", d.output())), d.output()
            assert served_cert(d.port) == pem_der(ca)
            assert tls_get(d.port, "/healthz", cafile=ca, user="b", password="2")[0] == 200
    finally:
        c.close()


@host_only(WHY)
def test_a_key_only_root_can_read_serves_after_the_privilege_drop():
    c = Certs()
    try:
        os.chmod(c.server[1], 0o600)
        os.chmod(c.dir, 0o700)
        with Daemon(args=["--web-config", c.web_config(TLS_ONLY)]) as d:
            assert wait_for(lambda: "dropped privileges" in d.output()), d.output()
            assert tls_get(d.port, cafile=c.server[0])[0] == 200
            # A reload cannot read it any more: said, and the old one serves on.
            d.proc.send_signal(signal.SIGHUP)
            assert wait_for(lambda: "Permission denied" in d.output()), d.output()
            assert tls_get(d.port, cafile=c.server[0])[0] == 200
    finally:
        c.close()


@host_only(WHY)
def test_the_shipped_example_web_config_is_valid():
    example = os.path.join(harness.ROOT, "config", "web-config.example.yml")
    c = Certs()
    try:
        # The example names /etc/jitterd/... files: the same text, checked
        # without its files (parse only) by pointing them at ours.
        with open(example) as f:
            text = f.read()
        text = re.sub(r"/etc/jitterd/(\w+)\.(crt|pem)", lambda m: os.path.join(c.dir, "server.pem" if m.group(1) == "jitterd" else "ca.pem"), text)
        text = text.replace("/etc/jitterd/jitterd.key", os.path.join(c.dir, "server.key"))
        path = c.web_config(text, "example.yml")
        r = subprocess.run([JITTERD, "--web-config", path, "--check-config"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
    finally:
        c.close()
