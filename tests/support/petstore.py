"""A local stand-in for the public hosts the Serverless Workflow conformance
kit calls (petstore.swagger.io and httpbin.org), serving the responses its
scenarios rely on (the corpus README lists them). The machine that runs the
tests has no network; the CTK harness points the scenarios here."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PETS = {
    1: {"id": 1, "name": "Milou", "status": "available"},
    2: {"id": 2, "name": "Rantanplan", "status": "available"},
    3: {"id": 3, "name": "Idefix", "status": "sold"},
}
BASIC_USER, BASIC_PASSWORD = "serverless-workflow", "conformance-test"


def swagger(host: str) -> dict[str, Any]:
    return {
        "swagger": "2.0",
        "info": {"title": "Petstore (stand-in)", "version": "1.0"},
        "host": host,
        "basePath": "/v2",
        "schemes": ["http"],
        "paths": {
            "/pet/findByStatus": {
                "get": {
                    "operationId": "findPetsByStatus",
                    "parameters": [
                        {"name": "status", "in": "query", "required": True, "type": "string"}
                    ],
                }
            },
            "/pet/{petId}": {
                "get": {
                    "operationId": "getPetById",
                    "parameters": [
                        {"name": "petId", "in": "path", "required": True, "type": "integer"}
                    ],
                }
            },
        },
    }


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/v2/swagger.json":
            return self._send(200, swagger(self.headers.get("Host", "127.0.0.1")))
        if path == "/v2/pet/findByStatus":
            wanted = query.get("status", [""])[0]
            return self._send(200, [p for p in PETS.values() if p["status"] == wanted])
        if path.startswith("/v2/pet/"):
            tail = path.removeprefix("/v2/pet/")
            if tail.isdigit() and int(tail) in PETS:
                return self._send(200, PETS[int(tail)])
            return self._send(404, {"code": 404, "message": "Pet not found"})
        if path == f"/basic-auth/{BASIC_USER}/{BASIC_PASSWORD}":
            expected = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
            if self.headers.get("Authorization") == f"Basic {expected}":
                return self._send(200, {"authenticated": True, "user": BASIC_USER})
            return self._send(401, {"authenticated": False})
        return self._send(404, {"message": f"no route for GET {path}"})


class PublicHosts:
    """The stand-in, in a background thread; ``rewrite`` points a definition's
    text at it."""

    HOSTS = ("https://petstore.swagger.io", "https://httpbin.org")

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def rewrite(self, text: str) -> str:
        for host in self.HOSTS:
            text = text.replace(host, self.url)
        return text

    def __enter__(self) -> PublicHosts:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
