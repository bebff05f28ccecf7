"""Fetching a document from a URL a user gave: carefully, since the URL is untrusted.

The standard library's ``http.client``, not urllib or requests, because each of those looks
the host name up itself when it connects: between the check of the address and the
connection, DNS could change its answer (rebinding) and send the request to an address
inside the network. Here the name is resolved once per hop, every address it resolves to is
checked, and the socket is opened to the very address that was checked (TLS still verifies
the certificate against the host name). No proxy from the environment is used either.

- http and https only; no user name or password in the URL;
- every address must be public: loopback, private, link-local (169.254.169.254 is the
  cloud's metadata service), shared (CGNAT), multicast, reserved, unspecified, and IPv6 forms
  that embed such an IPv4 address (mapped, 6to4, NAT64) are refused, unless
  ``allow_private`` (``CITEBOT_FETCH_ALLOW_PRIVATE``) says otherwise;
- at most ``max_redirects`` redirects, each checked like the first URL;
- only HTML, PDF, Word (.docx), plain text and Markdown, judged from the declared type
  before the body is read;
- a declared length over ``max_bytes`` is refused before a byte of the body is read, and
  the body is cut off as soon as it passes ``max_bytes``;
- one deadline, ``timeout`` seconds, for the whole fetch, however slowly bytes trickle in.

Every refusal is a ``FetchRefused`` and every failure a ``FetchError``, with a one-line reason.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol
from urllib.parse import quote, urljoin, urlsplit

from ..errors import FetchError, FetchRefused, first_line
from .formats import SUFFIX_FOR_TYPE
from ..text.show import shown
from ..text.sizes import over_limit, size_text

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_TIMEOUT", "Fetched", "Network", "SUFFIX_FOR_TYPE", "fetch", "is_public_address"]

DEFAULT_TIMEOUT = 20.0
MAX_URL_CHARS = 2000
USER_AGENT = "citebot/0.1 (fetching a document a moderator asked for)"
_CHUNK = 64 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}


_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Fetched:
    url: str  # as asked for
    final_url: str  # after redirects
    content_type: str  # as the server declared it, e.g. "text/html; charset=utf-8"
    data: bytes
    fetched_at: str = field(default_factory=_now)  # ISO 8601, UTC

    @property
    def media_type(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()

    @property
    def suffix(self) -> str:
        return SUFFIX_FOR_TYPE[self.media_type]


class Network(Protocol):
    """Name lookup and connection: the real ones by default, a fake in tests."""

    def resolve(self, host: str, port: int) -> list[str]: ...

    def connect(self, address: str, port: int, timeout: float) -> socket.socket: ...


class _RealNetwork:
    def resolve(self, host: str, port: int) -> list[str]:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    def connect(self, address: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection((address, port), timeout=timeout)


def _why_not_public(ip: Address) -> str | None:
    """What kind of address ``ip`` is when it is not one on the public internet; else None."""
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address reach that address: judge it instead.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and (ip in _NAT64 or ip in _NAT64_LOCAL):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return _why_not_public(embedded)
        if ip.teredo is not None:
            return "a Teredo tunnel address"
    for test, kind in (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(ip, test):
            return kind
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a shared (carrier-grade NAT) address"
    if not ip.is_global:
        return "not a public address"
    return None


def is_public_address(address: str) -> bool:
    """Whether ``address`` (an IP literal) is on the public internet."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return _why_not_public(ip) is None


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # ASCII (IDNA) form, no brackets
    port: int
    path: str  # path and query, as sent

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _target(url: str) -> _Target:
    """Check ``url``'s form; ``FetchRefused`` says what is wrong with it."""
    if len(url) > MAX_URL_CHARS:
        raise FetchRefused(f"the URL is {len(url):,} characters long; the limit is {MAX_URL_CHARS:,}")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise FetchRefused("the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchRefused(f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(f"only http and https URLs are fetched, not {shown(scheme or 'a URL without a scheme')}")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused("URLs with a user name or password are not fetched")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchRefused("the URL names no host")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise FetchRefused(f"the host name {shown(host)} is not valid") from None
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return _Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def _checked_addresses(target: _Target, network: Network, allow_private: bool) -> list[str]:
    """The addresses ``target``'s host resolves to, all of them checked; looked up once."""
    try:
        addresses = network.resolve(target.host, target.port)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {shown(target.host)}: {getattr(exc, 'strerror', None) or exc}") from None
    except OSError as exc:
        raise FetchError(f"cannot resolve {shown(target.host)}: {exc.strerror or exc}") from None
    if not addresses:
        raise FetchError(f"cannot resolve {shown(target.host)}: no address")
    if not allow_private:
        for address in addresses:
            try:
                ip = ipaddress.ip_address(address.split("%", 1)[0])
            except ValueError:
                raise FetchRefused(f"{shown(target.host)} resolves to {shown(address)}, which is not an IP address") from None
            if (kind := _why_not_public(ip)) is not None:
                shown_host = target.host if target.host == address else f"{target.host} ({address})"
                raise FetchRefused(f"{shown(shown_host)} is {kind}; only public addresses are fetched")
    return addresses


class _Deadline:
    """One deadline for the whole fetch. A socket timeout bounds each read, not their sum (a
    server can send a byte a second for ever), so a timer also shuts the sockets down when
    the time is up: whatever read is waiting then returns at once."""

    def __init__(self, seconds: float) -> None:
        self._clock, self._seconds = time.monotonic, seconds
        self._end = self._clock() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed

    def watch(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            if self.expired:
                sock.close()
                self.check()
            self._sockets.append(sock)
        return sock

    def left(self) -> float:
        self.check()
        return max(self._end - self._clock(), 0.001)

    def check(self) -> None:
        if self.expired or self._clock() >= self._end:
            raise FetchError(f"timed out after {self._seconds:g} s")

    def cancel(self) -> None:
        self._timer.cancel()


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to an address chosen beforehand: ``connect`` never looks the name up."""

    def __init__(
        self, target: _Target, address: str, network: Network, deadline: _Deadline, context: ssl.SSLContext | None
    ) -> None:
        super().__init__(target.host, target.port, timeout=deadline.left())
        self._address, self._network, self._deadline = address, network, deadline

    def connect(self) -> None:
        self.sock = self._deadline.watch(self._network.connect(self._address, self.port, self._deadline.left()))


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(
        self, target: _Target, address: str, network: Network, deadline: _Deadline, context: ssl.SSLContext | None
    ) -> None:
        super().__init__(target.host, target.port, timeout=deadline.left(), context=context or ssl.create_default_context())
        self._address, self._network, self._deadline = address, network, deadline

    def connect(self) -> None:
        sock = self._deadline.watch(self._network.connect(self._address, self.port, self._deadline.left()))
        # The certificate is checked against the host name, not the address connected to.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def fetch(
    url: str,
    *,
    max_bytes: int,
    timeout: float = DEFAULT_TIMEOUT,
    max_redirects: int = 3,
    allow_private: bool = False,
    network: Network | None = None,
    tls: ssl.SSLContext | None = None,
) -> Fetched:
    """The document at ``url``, or ``FetchRefused``/``FetchError`` with the reason.

    ``network`` and ``tls`` (the system's certificates by default) are for tests."""
    network = network or _RealNetwork()
    deadline = _Deadline(timeout)
    try:
        return _follow(url.strip(), max_bytes, max_redirects, allow_private, _Via(network, tls), deadline)
    except FetchError:
        raise
    except (OSError, http.client.HTTPException) as exc:
        deadline.check()  # a read the deadline cut short
        raise FetchError(f"the connection failed: {getattr(exc, 'strerror', None) or exc}") from None
    finally:
        deadline.cancel()


@dataclass(frozen=True)
class _Via:
    network: Network
    tls: ssl.SSLContext | None


def _follow(url: str, max_bytes: int, max_redirects: int, allow_private: bool, via: _Via, deadline: _Deadline) -> Fetched:
    current = url
    for _ in range(max_redirects + 1):
        target = _target(current)
        addresses = _checked_addresses(target, via.network, allow_private)
        response, connection = _request(target, addresses, via, deadline)
        try:
            if response.status in _REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise FetchError(f"the server answered {response.status} (a redirect) without saying where to")
                current = urljoin(f"{target.scheme}://{target.netloc}{target.path}", location.strip())
                log.info("fetch: %s redirects to %s", shown(url), shown(current))
                continue
            if response.status != 200:
                raise FetchError(f"the server answered {response.status} {shown(response.reason or '')}".rstrip())
            content_type = _checked_type(response)
            data = _read_body(response, max_bytes, deadline)
            return Fetched(url, current, content_type, data)
        finally:
            connection.close()  # before the body is read, when refused: nothing more comes in
    raise FetchRefused(f"more than {max_redirects} redirects")


def _request(target: _Target, addresses: list[str], via: _Via, deadline: _Deadline):
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    failure: Exception | None = None
    for address in addresses:  # every one of them checked already
        connection = kind(target, address, via.network, deadline, via.tls)
        try:
            connection.request("GET", target.path, headers={
                "User-Agent": USER_AGENT,
                "Accept": ", ".join(SUFFIX_FOR_TYPE),
                # Compressed bodies are refused rather than inflated: no decompression bomb.
                "Accept-Encoding": "identity",
            })
            response = connection.getresponse()
            deadline.check()  # headers the deadline cut short are no answer
            return response, connection
        except ssl.SSLError as exc:
            connection.close()
            deadline.check()
            reason = getattr(exc, "verify_message", None) or exc.reason or first_line(exc)
            raise FetchError(f"TLS failed with {shown(target.host)}: {shown(str(reason))}") from None
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            deadline.check()
            failure = exc
    reason = getattr(failure, "strerror", None) or failure or "no address"
    raise FetchError(f"cannot connect to {shown(target.netloc)}: {reason}")


def _checked_type(response: http.client.HTTPResponse) -> str:
    declared = (response.getheader("Content-Type") or "").strip()
    media_type = declared.split(";", 1)[0].strip().lower()
    if not media_type:
        raise FetchRefused("the server did not say what kind of file it sent (no Content-Type)")
    if media_type not in SUFFIX_FOR_TYPE:
        raise FetchRefused(f"{shown(media_type)[:100]} is not a document type (HTML, PDF, Word .docx, text or Markdown)")
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise FetchRefused(f"the server sent the file compressed ({shown(encoding)[:40]}), which was not asked for")
    return declared


def _read_body(response: http.client.HTTPResponse, max_bytes: int, deadline: _Deadline) -> bytes:
    length = (response.getheader("Content-Length") or "").strip()
    if length.isdigit() and int(length) > max_bytes:
        raise FetchRefused(f"the file is {over_limit(int(length), max_bytes)}")
    chunks: list[bytes] = []
    received = 0
    while chunk := response.read1(_CHUNK):
        received += len(chunk)
        if received > max_bytes:
            raise FetchRefused(f"the file is larger than the limit of {size_text(max_bytes)}")
        chunks.append(chunk)
        deadline.check()
    deadline.check()  # an end of data the deadline forced is no end of the file
    return b"".join(chunks)
