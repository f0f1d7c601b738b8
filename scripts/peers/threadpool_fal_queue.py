#!/usr/bin/env python3
"""The script imagepipe replaces for a queued provider, as fal's docs and the guide write it: a
ThreadPoolExecutor whose workers each submit one request to fal's queue, poll its status_url every
POLL seconds until COMPLETED, read the response_url and download images[0].url. A worker is held for
the whole wait, so WORKERS is both the submit concurrency and the number of jobs waiting at once.
A peer for scripts/bench-queue, not part of imagepipe.

usage: threadpool_fal_queue.py BASE_URL MODEL CSV OUT_DIR WORKERS POLL_SECONDS
prints one JSON line: {"items", "succeeded", "failed", "polls", "seconds"}
"""
import csv, json, os, sys, threading, time, urllib.request

base, model, path, out, workers, poll = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
os.makedirs(out, exist_ok=True)
lock = threading.Lock()
counts = {"polls": 0}
headers = {"Authorization": "Key bench-key-not-secret", "Content-Type": "application/json"}


def call(method, url, body=None):
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.read()


def generate(row):
    for attempt in range(1, 4):
        try:
            job = json.loads(call("POST", f"{base}/{model}", json.dumps({"prompt": row["name"], "num_images": 1}).encode()))
            while True:
                time.sleep(poll)
                with lock:
                    counts["polls"] += 1
                status = json.loads(call("GET", job["status_url"]))
                if status["status"] == "COMPLETED":
                    break
            if status.get("error"):
                raise RuntimeError(status["error"])
            result = json.loads(call("GET", job["response_url"]))
            image = call("GET", result["images"][0]["url"])
            with open(os.path.join(out, row["sku"] + ".png"), "wb") as f:
                f.write(image)
            return True
        except Exception:
            time.sleep(2 ** attempt)
    return False


def main():
    from concurrent.futures import ThreadPoolExecutor
    rows = list(csv.DictReader(open(path)))
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(generate, rows))
    print(json.dumps({"items": len(rows), "succeeded": sum(results), "failed": len(rows) - sum(results), "polls": counts["polls"],
                      "seconds": round(time.monotonic() - start, 2)}))


main()
