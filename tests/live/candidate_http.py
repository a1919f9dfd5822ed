"""Raw requests to a candidate's server with the candidate's token: paths go out exactly as
written (no client-side normalising of '..' or percent signs), REST and websocket."""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass
from typing import Any

from workbook.live.lab import LabServer


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def on_the_wire(path: str) -> str:
    """`path` as a request line can carry it: printable ASCII as is (percent signs too, so
    encoded forms stay encoded), everything else percent-encoded as UTF-8."""
    return "".join(ch if 0x20 < ord(ch) < 0x7F and ch not in "?#" else
                   "".join(f"%{byte:02X}" for byte in ch.encode("utf-8", "surrogatepass"))
                   for ch in path)


def call(server: LabServer, method: str, path: str, body: Any = None, *,
         raw_body: bytes | None = None, timeout: float = 60.0) -> Answer:
    """`method path` with the token in a header; `body` sent as JSON (or `raw_body` as is)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.options.port, timeout=timeout)
    try:
        data = raw_body if raw_body is not None else (
            None if body is None else json.dumps(body).encode())
        headers = {"Authorization": f"token {server.options.token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        connection.putrequest(method, on_the_wire(path), skip_accept_encoding=True)
        for key, value in headers.items():
            connection.putheader(key, value)
        connection.putheader("Content-Length", str(len(data or b"")))
        connection.endheaders(data)
        response = connection.getresponse()
        return Answer(response.status, response.read())
    finally:
        connection.close()


def websocket_status(server: LabServer, path: str, timeout: float = 30.0) -> int:
    """The HTTP status a websocket handshake on `path` gets (101: the socket opened)."""
    with socket.create_connection(("127.0.0.1", server.options.port), timeout=timeout) as sock:
        request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.options.port}\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n"
                   f"Authorization: token {server.options.token}\r\n\r\n")
        sock.sendall(request.encode("latin-1"))
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(1024)
            if not chunk:
                break
            head += chunk
    return int(head.split(b" ", 2)[1])


def healthy(server: LabServer) -> bool:
    answer = call(server, "GET", "/api/status", timeout=20)
    return answer.status == 200
