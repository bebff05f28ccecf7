"""A web server on 127.0.0.1 for URL tests, and a fake network that takes "public" addresses to it.

Which addresses are public is decided on resolved addresses, so tests that need a public
name use ``FakeNetwork``: a table of host names to addresses (as DNS would answer) and a
connector that takes any "public" address in it to the local server. The connector records
where it was asked to connect, so a test sees that the address checked is the address used.
"""

from __future__ import annotations

import http.server
import ipaddress
import socket
import ssl
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

PUBLIC = "93.184.215.14"  # a global unicast address; the fake network takes it to the local server
TLS = Path(__file__).parent / "data" / "tls"


@dataclass
class Seen:
    """What the server saw of one request."""

    path: str
    headers: dict[str, str]
    body_bytes_sent: int = 0
    write_failed: bool = False
    done: threading.Event = field(default_factory=threading.Event)


Route = Callable[[http.server.BaseHTTPRequestHandler, Seen], None]



class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # A client that refuses a response hangs up on the keep-alive connection: expected
        # here, and not worth a traceback on the test run's output. Anything else is printed.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class Server:
    def __init__(self, tls: bool = False) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.release = threading.Event()  # holds stalled handlers until the test ends
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                seen = Seen(self.path, dict(self.headers))
                server.seen.append(seen)
                try:
                    server.routes.get(self.path, not_found)(self, seen)
                except (BrokenPipeError, ConnectionResetError):
                    seen.write_failed = True
                finally:
                    seen.done.set()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "https" if tls else "http"
        if tls:  # a certificate for news.example (tests/data/tls)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(TLS / "news.example.pem", TLS / "news.example.key")
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def not_found(handler, seen: Seen) -> None:
    send(handler, 404, b"not here", "text/plain")


def send(handler, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", **headers: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def redirect(location: str) -> Route:
    def route(handler, seen: Seen) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def claims_a_gigabyte(handler, seen: Seen) -> None:
    """A PDF whose headers claim 1 GB, streamed until the client hangs up."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/pdf")
    handler.send_header("Content-Length", str(10**9))
    handler.end_headers()
    chunk = bytes(256 * 1024)
    while seen.body_bytes_sent < 10**9:
        handler.wfile.write(chunk)
        seen.body_bytes_sent += len(chunk)


class FakeNetwork:
    """DNS as a table; connections to any address in ``local`` go to the test server."""

    def __init__(self, server: Server | None, names: dict[str, list[str]], local: set[str] | None = None) -> None:
        self.server, self.names = server, names
        self.local = local if local is not None else {PUBLIC}
        self.resolved: list[str] = []
        self.connected: list[str] = []

    def resolve(self, host: str, port: int) -> list[str]:
        self.resolved.append(host)
        try:  # an address resolves to itself, as getaddrinfo answers
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.names[host])

    def connect(self, address: str, port: int, timeout: float) -> socket.socket:
        self.connected.append(address)
        if address not in self.local or self.server is None:
            raise ConnectionRefusedError(111, "Connection refused")
        return socket.create_connection(("127.0.0.1", self.server.port), timeout=timeout)
