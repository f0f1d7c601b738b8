#!/usr/bin/env python3
"""The script imagepipe replaces, as the guide writes it: a ThreadPoolExecutor calling OpenAI's
Images API for each CSV row, each request retried on its own (429 and 5xx: wait Retry-After or
exponential backoff with jitter, up to 8 attempts), each image decoded and written. A peer for
scripts/bench-rate, not part of imagepipe.

usage: threadpool_generate.py BASE_URL CSV OUT_DIR WORKERS
prints one JSON line: {"items", "succeeded", "failed", "requests", "throttled", "seconds"}
"""
import base64, csv, http.client, json, os, random, sys, threading, time, urllib.parse
from concurrent.futures import ThreadPoolExecutor

base, path, out, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
url = urllib.parse.urlparse(base)
os.makedirs(out, exist_ok=True)
local = threading.local()
lock = threading.Lock()
counts = {"requests": 0, "throttled": 0}


def connection():
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    return local.conn


def generate(row):
    body = json.dumps({"model": "gpt-image-1", "prompt": f"Product photo of {row['name']}, studio lighting", "n": 1, "size": "1024x1024"})
    for attempt in range(1, 9):
        try:
            conn = connection()
            conn.request("POST", url.path + "/images/generations", body, {"Content-Type": "application/json", "Authorization": "Bearer bench"})
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            local.__dict__.pop("conn", None)
            status, data, response = 0, b"", None
        else:
            status = response.status
        with lock:
            counts["requests"] += 1
            if status == 429:
                counts["throttled"] += 1
        if status == 200:
            image = base64.b64decode(json.loads(data)["data"][0]["b64_json"])
            with open(os.path.join(out, row["sku"] + ".png"), "wb") as f:
                f.write(image)
            return True
        if status not in (0, 429, 500, 502, 503):
            return False
        wait = None
        if response is not None:
            ms = response.getheader("retry-after-ms")
            seconds = response.getheader("retry-after")
            wait = float(ms) / 1000 if ms else float(seconds) if seconds else None
        time.sleep(wait if wait is not None else random.uniform(0, min(30, 0.5 * 2 ** (attempt - 1))))
    return False


with open(path) as f:
    rows = list(csv.DictReader(f))
start = time.monotonic()
with ThreadPoolExecutor(max_workers=workers) as pool:
    results = list(pool.map(generate, rows))
seconds = time.monotonic() - start
print(json.dumps({"items": len(rows), "succeeded": sum(results), "failed": len(results) - sum(results),
                  "requests": counts["requests"], "throttled": counts["throttled"], "seconds": seconds}))
