"""Fetching a URL a user gave, against a web server the test starts on 127.0.0.1 (and the
fake network of ``webserver``, which takes "public" addresses to it)."""

from __future__ import annotations

import ssl
from datetime import datetime, timedelta, timezone

import pytest

from retrieval.documents.fetch import Fetched, fetch, is_public_address
from webserver import PUBLIC, TLS, FakeNetwork, Seen, Server, claims_a_gigabyte, redirect, send
from retrieval.errors import CitebotError, FetchError, FetchRefused
from retrieval.settings import Settings

ARTICLE = b"""<html><head><title>Ferry returns</title><meta name="author" content="Maria Jensen"></head>
<body><article><h1>Ferry returns</h1><p>The ferry between the old harbour and the island resumed on Friday
after a winter of repairs to the landing stage, the harbour council said.</p></article></body></html>"""
MB = 1 << 20


@pytest.fixture
def tls_server():
    s = Server(tls=True)
    yield s
    s.close()


def _page(handler, seen: Seen) -> None:
    send(handler, 200, ARTICLE)


# ---- the happy path ------------------------------------------------------------------------


def test_page_is_fetched_from_a_public_address(server: Server) -> None:
    server.routes["/news/ferry"] = _page
    network = FakeNetwork(server, {"news.example": [PUBLIC]})
    got = fetch(server.url("/news/ferry", "news.example"), max_bytes=MB, timeout=5, network=network)
    assert got == Fetched(server.url("/news/ferry", "news.example"), server.url("/news/ferry", "news.example"),
                          "text/html; charset=utf-8", ARTICLE, got.fetched_at)
    assert abs(datetime.fromisoformat(got.fetched_at) - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert got.suffix == ".html"
    # The name was looked up once and the connection went to the address that was checked,
    # while the request still named the host (virtual hosting, TLS name checks).
    assert network.resolved == ["news.example"] and network.connected == [PUBLIC]
    assert server.seen[0].headers["Host"] == f"news.example:{server.port}"
    assert server.seen[0].headers["Accept-Encoding"] == "identity"


def test_real_network_reaches_127_0_0_1_only_when_private_addresses_are_allowed(server: Server) -> None:
    server.routes["/a"] = _page
    assert fetch(server.url("/a"), max_bytes=MB, timeout=5, allow_private=True).data == ARTICLE
    with pytest.raises(FetchRefused, match="127.0.0.1 is a loopback address; only public addresses are fetched"):
        fetch(server.url("/a"), max_bytes=MB, timeout=5)
    # The same address spelled otherwise is the same address once resolved.
    for host in ("localhost", "127.1", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]"):
        with pytest.raises(FetchRefused, match="loopback address"):
            fetch(server.url("/a", host), max_bytes=MB, timeout=5)
    assert len(server.seen) == 1  # the refused ones never connected


def test_redirect_is_followed_and_the_final_url_kept(server: Server) -> None:
    server.routes["/old"] = redirect("/new")
    server.routes["/new"] = _page
    network = FakeNetwork(server, {"news.example": [PUBLIC]})
    got = fetch(server.url("/old", "news.example"), max_bytes=MB, timeout=5, network=network)
    assert got.final_url == server.url("/new", "news.example") and got.data == ARTICLE
    assert network.resolved == ["news.example", "news.example"]  # checked again after the redirect


# ---- addresses -------------------------------------------------------------------------------


def test_redirect_to_a_private_address_is_refused_before_connecting(server: Server) -> None:
    server.routes["/go"] = redirect("http://intranet.example/admin")
    network = FakeNetwork(server, {"news.example": [PUBLIC], "intranet.example": ["10.1.2.3"]})
    with pytest.raises(FetchRefused, match=r"intranet.example \(10.1.2.3\) is a private address"):
        fetch(server.url("/go", "news.example"), max_bytes=MB, timeout=5, network=network)
    assert network.connected == [PUBLIC]  # never to 10.1.2.3


def test_redirect_to_loopback_by_address_is_refused(server: Server) -> None:
    server.routes["/go"] = redirect(server.url("/secret"))
    network = FakeNetwork(server, {"news.example": [PUBLIC], "127.0.0.1": ["127.0.0.1"]})
    with pytest.raises(FetchRefused, match="127.0.0.1 is a loopback address"):
        fetch(server.url("/go", "news.example"), max_bytes=MB, timeout=5, network=network)
    assert [s.path for s in server.seen] == ["/go"]


def test_a_name_with_one_private_address_among_public_ones_is_refused(server: Server) -> None:
    network = FakeNetwork(server, {"mixed.example": [PUBLIC, "169.254.169.254"]})
    with pytest.raises(FetchRefused, match="169.254.169.254.*link-local"):
        fetch("http://mixed.example/", max_bytes=MB, timeout=5, network=network)
    assert network.connected == []


def test_dns_rebinding_cannot_swap_the_address_after_the_check(server: Server) -> None:
    server.routes["/a"] = _page

    class Rebinding(FakeNetwork):
        def resolve(self, host: str, port: int) -> list[str]:
            # Public when checked; a second lookup (at connection time) would get loopback.
            self.resolved.append(host)
            return [PUBLIC] if len(self.resolved) == 1 else ["127.0.0.1"]

    network = Rebinding(server, {}, local={PUBLIC, "127.0.0.1"})
    fetch(server.url("/a", "rebind.example"), max_bytes=MB, timeout=5, network=network)
    assert network.resolved == ["rebind.example"] and network.connected == [PUBLIC]


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "192.0.2.1", "198.18.0.1",
     "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
     "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:7f00:1::1",
     "2001:0:4136:e378:8000:63bf:3fff:fdd2", "fe80::1%eth0", "not-an-address"],
)
def test_addresses_that_are_not_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_public_addresses(address: str) -> None:
    assert is_public_address(address)


# ---- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, reason",
    [
        ("ftp://files.example/report.pdf", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("news.example/page", "only http and https"),
        ("http://user:secret@news.example/", "user name or password"),
        ("http:///nohost", "names no host"),
        ("http://news.example:99999/", "not a valid URL"),
        ("http://news.example/a b", "spaces or control"),
        ("http://news.example/" + "a" * 2100, "limit is 2,000"),
    ],
)
def test_urls_that_are_not_fetched(url: str, reason: str) -> None:
    network = FakeNetwork(None, {})
    with pytest.raises(FetchRefused, match=reason):
        fetch(url, max_bytes=MB, timeout=5, network=network)
    assert network.resolved == []


def test_a_name_that_does_not_resolve_is_a_fetch_error(server: Server) -> None:
    with pytest.raises(FetchError, match="cannot resolve nowhere.example"):
        fetch("http://nowhere.example/", max_bytes=MB, timeout=5, network=FakeNetwork(server, {}))


# ---- redirects, types, sizes, time -------------------------------------------------------------


def test_too_many_redirects_are_refused(server: Server) -> None:
    for n in range(1, 5):
        server.routes[f"/r{n}"] = redirect(f"/r{n + 1}")
    server.routes["/r5"] = _page
    network = FakeNetwork(server, {"news.example": [PUBLIC]})
    with pytest.raises(FetchRefused, match="more than 3 redirects"):
        fetch(server.url("/r1", "news.example"), max_bytes=MB, timeout=5, network=network)
    assert [s.path for s in server.seen] == ["/r1", "/r2", "/r3", "/r4"]
    # Three are fine.
    assert fetch(server.url("/r2", "news.example"), max_bytes=MB, timeout=5, network=network).data == ARTICLE


@pytest.mark.parametrize("content_type", ["image/png", "application/zip", "application/msword", "application/octet-stream"])
def test_content_types_that_are_not_documents_are_refused_by_name(server: Server, content_type: str) -> None:
    server.routes["/file"] = lambda h, s: send(h, 200, b"\x89PNG" + bytes(100), content_type)
    network = FakeNetwork(server, {"news.example": [PUBLIC]})
    with pytest.raises(FetchRefused, match=f"{content_type} is not a document type"):
        fetch(server.url("/file", "news.example"), max_bytes=MB, timeout=5, network=network)


@pytest.mark.parametrize(
    "content_type, suffix",
    [("application/pdf", ".pdf"), ("text/plain; charset=utf-8", ".txt"), ("text/markdown", ".md"),
     ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"), ("APPLICATION/XHTML+XML", ".html")],
)
def test_document_types_are_fetched_with_their_suffix(server: Server, content_type: str, suffix: str) -> None:
    server.routes["/doc"] = lambda h, s: send(h, 200, b"body", content_type)
    got = fetch(server.url("/doc", "news.example"), max_bytes=MB, timeout=5, network=FakeNetwork(server, {"news.example": [PUBLIC]}))
    assert got.suffix == suffix


def test_a_compressed_body_that_was_not_asked_for_is_refused(server: Server) -> None:
    server.routes["/gz"] = lambda h, s: send(h, 200, b"\x1f\x8b" + bytes(30), "text/html", Content_Encoding="gzip")
    with pytest.raises(FetchRefused, match="compressed \\(gzip\\)"):
        fetch(server.url("/gz", "news.example"), max_bytes=MB, timeout=5, network=FakeNetwork(server, {"news.example": [PUBLIC]}))


def test_http_errors_are_named(server: Server) -> None:
    with pytest.raises(FetchError, match="the server answered 404 Not Found"):
        fetch(server.url("/missing", "news.example"), max_bytes=MB, timeout=5, network=FakeNetwork(server, {"news.example": [PUBLIC]}))


def test_a_claimed_length_of_1_gb_is_refused_before_the_body_is_read(server: Server) -> None:
    server.routes["/huge.pdf"] = claims_a_gigabyte
    network = FakeNetwork(server, {"news.example": [PUBLIC]})
    with pytest.raises(FetchRefused, match="the file is 953.7 MiB; the limit is 1.0 MiB"):
        fetch(server.url("/huge.pdf", "news.example"), max_bytes=MB, timeout=5, network=network)
    seen = server.seen[0]
    assert seen.done.wait(10)
    # The client closed the connection at the headers: the server's writes failed after what
    # the sockets' buffers hold, nowhere near the gigabyte.
    assert seen.write_failed and seen.body_bytes_sent < 64 * MB


def test_a_body_without_length_is_cut_off_past_the_limit(server: Server) -> None:
    def chunked(handler, seen: Seen) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"x" * 65536
        while seen.body_bytes_sent < 64 * MB:  # more than any socket buffers hold
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            seen.body_bytes_sent += len(chunk)
        handler.wfile.write(b"0\r\n\r\n")

    server.routes["/stream"] = chunked
    with pytest.raises(FetchRefused, match="larger than the limit of 1.0 MiB"):
        fetch(server.url("/stream", "news.example"), max_bytes=MB, timeout=5, network=FakeNetwork(server, {"news.example": [PUBLIC]}))
    assert server.seen[0].done.wait(10) and server.seen[0].write_failed


def test_a_server_that_never_answers_times_out(server: Server) -> None:
    server.routes["/stall"] = lambda h, s: server.release.wait(30)
    with pytest.raises(FetchError, match="timed out after 0.5 s"):
        fetch(server.url("/stall", "news.example"), max_bytes=MB, timeout=0.5, network=FakeNetwork(server, {"news.example": [PUBLIC]}))


def test_a_server_that_trickles_bytes_is_cut_off_at_the_deadline(server: Server) -> None:
    def trickle(handler, seen: Seen) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        # A byte every 50 ms: every read gets data well within any per-read timeout.
        while not server.release.wait(0.05):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            seen.body_bytes_sent += 1

    server.routes["/slow"] = trickle
    with pytest.raises(FetchError, match="timed out after 0.6 s"):
        fetch(server.url("/slow", "news.example"), max_bytes=MB, timeout=0.6, network=FakeNetwork(server, {"news.example": [PUBLIC]}))


def test_refusals_are_citebot_errors_of_one_line(server: Server) -> None:
    assert issubclass(FetchRefused, FetchError) and issubclass(FetchError, CitebotError)
    with pytest.raises(FetchRefused) as info:
        fetch("gopher://x/\u202e", max_bytes=MB, timeout=5)
    assert "\n" not in str(info.value)


def test_private_addresses_setting() -> None:
    assert Settings.from_env({}).fetch_allow_private is False
    assert Settings.from_env({"CITEBOT_FETCH_ALLOW_PRIVATE": "yes"}).fetch_allow_private is True
    with pytest.raises(CitebotError, match="CITEBOT_FETCH_ALLOW_PRIVATE must be one of"):
        Settings.from_env({"CITEBOT_FETCH_ALLOW_PRIVATE": "sometimes"})


def test_a_server_that_trickles_its_headers_is_cut_off_at_the_deadline(server: Server) -> None:
    def trickle_headers(handler, seen: Seen) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Padding: ")
        # Each byte resets any per-read timeout; only a deadline for the whole fetch ends it.
        # (Bounded, so a fetch without one fails this test in 10 s instead of hanging it.)
        for _ in range(200):
            if server.release.wait(0.05):
                break
            handler.wfile.write(b"x")
            handler.wfile.flush()
        handler.wfile.write(b"\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")

    server.routes["/slow-headers"] = trickle_headers
    with pytest.raises(FetchError, match="timed out after 0.6 s"):
        fetch(server.url("/slow-headers", "news.example"), max_bytes=MB, timeout=0.6,
              network=FakeNetwork(server, {"news.example": [PUBLIC]}))


def test_a_fetched_page_is_stored_and_indexed_without_the_network(server: Server, tmp_path) -> None:
    from retrieval.documents.loading import load_documents
    from retrieval.documents.seeds import add_fetched

    server.routes["/ferry"] = _page
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    stored = add_fetched(seeds, fetch(server.url("/ferry"), max_bytes=MB, timeout=5, allow_private=True))
    assert stored.path.name == "Ferry returns.html" and stored.document.paragraphs
    server.close()  # from here on, nothing answers
    (document,) = load_documents(seeds).documents
    assert document.url == server.url("/ferry") and document.author == "Maria Jensen"
    assert document.paragraphs[0].text.startswith("The ferry between the old harbour")


# ---- https --------------------------------------------------------------------------------------


def test_https_connects_to_the_checked_address_and_checks_the_certificate_against_the_name(tls_server: Server) -> None:
    tls_server.routes["/a"] = _page
    trusted = ssl.create_default_context(cafile=str(TLS / "news.example.pem"))
    network = FakeNetwork(tls_server, {"news.example": [PUBLIC], "other.example": [PUBLIC]})
    got = fetch(tls_server.url("/a", "news.example"), max_bytes=MB, timeout=5, network=network, tls=trusted)
    assert got.data == ARTICLE and network.connected == [PUBLIC]
    # The same server and certificate reached under another name: the name is what is checked.
    with pytest.raises(FetchError, match="TLS failed with other.example: .*(mismatch|match)"):
        fetch(tls_server.url("/a", "other.example"), max_bytes=MB, timeout=5, network=network, tls=trusted)
    # A certificate no authority the system trusts signed.
    with pytest.raises(FetchError, match="TLS failed with news.example: .*self.signed"):
        fetch(tls_server.url("/a", "news.example"), max_bytes=MB, timeout=5, network=network)
