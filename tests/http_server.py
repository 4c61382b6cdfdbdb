"""A loopback HTTP server for the downloaders' tests: serves a folder, honours `Range: bytes=N-`."""

import http.server
import threading
from contextlib import contextmanager
from functools import partial


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files, honouring `Range: bytes=N-` (resume), and logs requests."""

    requests: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).requests.append((self.path, self.headers.get("Range")))
        path = self.translate_path(self.path)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            self.send_error(404)
            return
        start = 0
        if self.headers.get("Range"):
            start = int(self.headers["Range"].split("=")[1].rstrip("-"))
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
        else:
            self.send_response(200)
        if self.path.startswith("/nolength/"):  # streams with no length, closing the connection at the end
            self.close_connection = True
            self.end_headers()
            self.wfile.write(data[start:])
            return
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if self.path.startswith("/drop/"):  # announces it all, sends half, hangs up
            self.wfile.write(data[start:start + (len(data) - start) // 2])
            self.close_connection = True
            return
        self.wfile.write(data[start:])



@contextmanager
def serving(root):
    """Serve `root` on 127.0.0.1; yields the base URL."""
    RangeHandler.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(RangeHandler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
