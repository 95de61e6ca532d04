"""Receive webhooks, check each signature: WEBHOOK_SECRET=whsec_… python webhook_receiver.py 9000"""

import base64, hashlib, hmac, json, os, sys, time  # noqa: E401, I001 (short on purpose)
from http.server import BaseHTTPRequestHandler, HTTPServer

KEY = base64.b64decode(os.environ["WEBHOOK_SECRET"].removeprefix("whsec_"))


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        msg_id, ts = self.headers["webhook-id"], self.headers["webhook-timestamp"]
        mac = hmac.new(KEY, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(mac).decode()
        offered = self.headers["webhook-signature"].split()
        ok = any(hmac.compare_digest(expected, s) for s in offered)
        ok = ok and abs(time.time() - int(ts)) < 300  # refuse replays of old messages
        self.send_response(204 if ok else 400)
        self.end_headers()
        print(msg_id, json.loads(body)["type"], "valid" if ok else "INVALID", flush=True)


HTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
