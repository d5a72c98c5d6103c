# The Python HTTP app bench/seccomp records and replays (Flask, from Debian's python3-flask, on
# Werkzeug's threaded server): the same routes as app.js, touching the file system, hashlib,
# threads, timers and JSON, and a clean exit on SIGTERM.
import hashlib
import json
import signal
import sys
import time

from flask import Flask, request

app = Flask(__name__)


@app.get("/")
def root():
    return "ok"


@app.get("/json")
def as_json():
    return json.dumps({"n": int(request.args.get("n", 1)), "items": list(range(50))})


@app.get("/hash")
def sha():
    return hashlib.sha256(request.args.get("s", "").encode()).hexdigest()


@app.get("/file")
def file_length():
    with open(__file__, encoding="utf-8") as f:
        return str(len(f.read()))


@app.post("/echo")
def echo():
    return request.get_data(as_text=True).upper()


@app.get("/later")
def later():
    time.sleep(0.02)
    return "later"


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
app.run(host="0.0.0.0", port=8080, threaded=True)
