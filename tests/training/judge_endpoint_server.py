"""A local OpenAI-compatible judge endpoint for tests (stdlib http.server, one thread): it
answers A with probability 0.7 when response A is the longer one, else B, and records each request."""

import json
import math
import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SHOWN = re.compile(r"Response A:\n(.*?)\n\nResponse B:\n(.*?)\n\n", re.S)


class LongerIsBetter(BaseHTTPRequestHandler):
    """Answers A with probability 0.7 when response A is the longer one, else B with 0.7."""

    asked: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        first, second = SHOWN.search(body["messages"][0]["content"]).groups()
        type(self).asked.append((body, self.path, self.headers.get("Authorization"), first, second))
        likely = "A" if len(first) > len(second) else "B"
        other = "B" if likely == "A" else "A"
        top = [
            {"token": likely, "logprob": math.log(0.7)},
            {"token": f" {other}", "logprob": math.log(0.2)},
            {"token": "tie", "logprob": math.log(0.05)},
            {"token": "The", "logprob": math.log(0.05)},
        ]
        completion = {
            "choices": [
                {
                    "message": {"content": likely},
                    "logprobs": {"content": [{"token": likely, "top_logprobs": top}]},
                }
            ]
        }
        data = json.dumps(completion).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@contextmanager
def serving():
    """The base URL of a fresh endpoint, until the block ends."""
    LongerIsBetter.asked = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), LongerIsBetter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1/"
    finally:
        server.shutdown()
        server.server_close()
