"""The production server: waitress with its limits chosen, not inherited.

What waitress does by default and why each default is changed here (issue 12 items 2, 9, 18):

- 100 connections, idle ones closed after 120 s: 98 idle connections (the listening socket and
  waitress's trigger count too) made every other visitor wait two minutes. An idle connection
  costs a file descriptor and no thread, so the limit is raised, idle connections are closed
  after IDLE_TIMEOUT, and when the limit is reached anyway the longest-idle connections that
  are not being answered are closed to admit new ones: holding connections open cannot keep
  anyone else out. (Many connections from one address are for the reverse proxy to refuse.)
- Headers up to 256 KB, bodies up to 1 GB (spooled to disk before the app sees them): the
  largest legitimate request is a search URL or a small form, so 64 KB and 1 MB.
- Errors waitress itself detects (a request line or headers too long, a body too large, a
  malformed request) are answered with a short Thai page, and the answer is given a chance to
  arrive: the connection is half-closed and what the client is still sending is read and
  dropped for a moment, instead of a reset that makes most clients lose the answer. A request
  cut short (the client stops sending before its Content-Length) is answered 400 when the
  client closes, 408 when it falls silent, instead of nothing.
- X-Forwarded-For is dropped unless the proxy is trusted: with KMSEARCH_TRUSTED_PROXIES=N the
  connections coming from KMSEARCH_PROXY_ADDRESS have their client address taken from the
  last N hops, so the per-client sign-in limit sees clients, not the proxy.
"""

from __future__ import annotations

import html
import resource
import socket
import time

from kmsearch.web.pages import ERRORS
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask
from waitress.utilities import BadRequest, Error, RequestHeaderFieldsTooLarge

from kmsearch.home import Home

THREADS = 8
CONNECTION_LIMIT = 1000
IDLE_TIMEOUT = 20  # seconds a connection may stay silent (keep-alive or a stalled request)
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024  # Flask's MAX_CONTENT_LENGTH (64 KB) refuses most before this
LINGER_SECONDS = 2.0  # reading what a refused client still sends, so it reads our answer
LINGER_BYTES = 16 * 1024 * 1024

# Title and advice of each answer waitress gives itself: the app's own (web/pages.py), except
# a 400, which here means a malformed request rather than a stale form, and 501, which only
# waitress gives.
THAI_ERRORS = {
    **ERRORS,
    400: ("คำขอไม่ถูกต้อง", "คำขอไม่ครบถ้วนหรือผิดรูปแบบ กรุณาลองใหม่อีกครั้ง"),
    501: ("ไม่รองรับคำขอรูปแบบนี้", "กรุณาลองใหม่อีกครั้ง"),
}


class URITooLong(BadRequest):
    code = 414
    reason = "URI Too Long"


class RequestTimeout(BadRequest):
    code = 408
    reason = "Request Timeout"


def thai_error_page(code: int) -> bytes:
    """A short standalone Thai page (no template: the app is not involved at this level)."""
    title, detail = THAI_ERRORS.get(code, THAI_ERRORS[400])
    return (
        '<!doctype html>\n<html lang="th"><head><meta charset="utf-8">'
        f"<title>{code} {html.escape(title)}</title></head>\n<body><h1>{html.escape(title)}</h1>"
        f'<p>{html.escape(detail)}</p><p><a href="/">กลับหน้าค้นหา</a></p></body></html>\n'
    ).encode()


class _Parser(HTTPRequestParser):
    """Tells a request line that never ended (414) from too many headers (431)."""

    def received(self, data: bytes) -> int:
        consumed = super().received(data)
        if isinstance(self.error, RequestHeaderFieldsTooLarge) and b"\n" not in self.header_plus:
            self.error = URITooLong(f"request line longer than {self.adj.max_request_header_size}")
        return consumed


class _ThaiErrorTask(ErrorTask):
    """waitress's error answer, as a Thai HTML page."""

    def execute(self) -> None:
        error = self.request.error
        body = thai_error_page(error.code)
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend(
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
            ]
        )
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)
        self.channel.linger_after_close = True


class _Channel(HTTPChannel):
    parser_class = _Parser
    error_task_class = _ThaiErrorTask
    linger_after_close = False
    _linger_until = 0.0
    _lingered = 0

    def fail_request(self, error: Error) -> bool:
        """Answer the request being received with error (from the main loop thread)."""
        with self.requests_lock:
            request = self.request
            if request is None or request.completed or self.will_close:
                return False
            request.error = error
            request.completed = True
            self.request = None
            self.requests.append(request)
            if len(self.requests) == 1:
                self.server.add_task(self)
            return True

    def partial(self) -> bool:
        """Some of a request arrived, not all of it."""
        r = self.request
        return bool(r is not None and not r.completed and (r.header_plus or r.headers_finished))

    def handle_read(self) -> None:
        if self._linger_until:
            self._drain()
            return
        try:
            # socket.recv, not self.recv: asyncore's recv closes the channel on end of input,
            # before a request cut short could be answered.
            data = self.socket.recv(self.adj.recv_bytes)
        except OSError:
            self.handle_close()
            return
        if data:
            self.last_activity = time.time()
            self.received(data)
        elif self.partial():
            # The client closed its side mid-request: the answer can still reach it.
            self.fail_request(BadRequest("the request ended before its declared length"))
        else:
            self.handle_close()

    def handle_write(self) -> None:
        if (
            self.linger_after_close
            and self.close_when_flushed
            and not self.total_outbufs_len
            and not self._linger_until
        ):
            # The error answer is sent: stop writing, keep reading for a moment.
            self.close_when_flushed = False
            self._linger_until = time.time() + LINGER_SECONDS
            try:
                self.socket.shutdown(socket.SHUT_WR)
            except OSError:
                self.will_close = True
        super().handle_write()

    def readable(self) -> bool:
        if self._linger_until:
            if time.time() > self._linger_until or self._lingered > LINGER_BYTES:
                self.will_close = True
                return False
            return True
        return super().readable()

    def writable(self) -> bool:
        if self._linger_until:
            return self.will_close
        return super().writable()

    def _drain(self) -> None:
        try:
            data = self.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.will_close = True
        self._lingered += len(data)


class _Server:
    """Methods put on waitress's listening server (see _adopt)."""

    def maintenance(self, now: float) -> None:
        """Close idle connections; a request stalled part way gets a 408 answer first."""
        cutoff = now - self.adj.channel_timeout
        for channel in list(self.active_channels.values()):
            if channel.requests or channel.last_activity >= cutoff:
                continue
            if not (isinstance(channel, _Channel) and channel.partial()):
                channel.will_close = True
            elif channel.fail_request(RequestTimeout("no data within the time limit")):
                channel.last_activity = now

    def readable(self) -> bool:
        if len(self._map) >= self.adj.connection_limit:
            self.evict_idle()
        if not BaseWSGIServer.readable(self):
            return False
        # several processes accept from one socket: see workers.Shares
        return self.share is None or self.share.may_accept(len(self.active_channels))

    def evict_idle(self) -> None:
        """At the connection limit, close the longest-idle tenth not being answered."""
        idle = [c for c in self.active_channels.values() if not c.requests and not c.will_close]
        idle.sort(key=lambda c: c.last_activity)
        for channel in idle[: max(1, self.adj.connection_limit // 10)]:
            channel.will_close = True


def _adopt(map_: dict, share=None) -> None:
    """Give waitress's listening servers our channel class and housekeeping."""
    for obj in list(map_.values()):
        if isinstance(obj, BaseWSGIServer):
            obj.share = share
            obj.channel_class = _Channel
            obj.maintenance = _Server.maintenance.__get__(obj)
            obj.readable = _Server.readable.__get__(obj)
            obj.evict_idle = _Server.evict_idle.__get__(obj)


def adjustments(home: Home, host: str, port: int) -> dict:
    """waitress's settings for `kmsearch serve`, proxy trust included."""
    adj = dict(
        host=host,
        port=port,
        threads=THREADS,
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=IDLE_TIMEOUT,
        cleanup_interval=2,
        max_request_header_size=MAX_HEADER_BYTES,
        max_request_body_size=MAX_BODY_BYTES,
        asyncore_use_poll=True,  # select() fails once a descriptor number passes 1024
        ident="kmsearch",
    )
    proxies = int(home.setting("trusted_proxies") or 0)
    if proxies > 0:
        adj.update(
            trusted_proxy=home.setting("proxy_address"),
            trusted_proxy_count=proxies,
            trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
        )
    return adj


def _raise_file_limit(wanted: int) -> None:
    """Each connection holds a descriptor: allow the connection limit plus the index's files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def make_server(app, home: Home, host: str, port: int, sockets: list | None = None, share=None):
    """The waitress server for app; call .run() to serve. sockets: listening sockets opened
    already (web/workers.py: several processes accept from one), in place of host and port;
    share: this process's slot of workers.Shares (accept only while holding no more
    connections than the others)."""
    _raise_file_limit(CONNECTION_LIMIT * 2 + 256)
    map_: dict = {}
    adj = adjustments(home, host, port)
    if sockets:
        del adj["host"], adj["port"]
        adj["sockets"] = sockets
    server = create_server(app, map=map_, **adj)
    _adopt(map_, share)
    if share is not None:
        share.listen_for_wakeups(map_)
    return server
