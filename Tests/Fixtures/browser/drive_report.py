#!/usr/bin/env python3
"""Drives a report in headless Chromium over the DevTools protocol (through --remote-debugging-pipe,
so no extra library) and prints what the tests and scripts/bench-report check, as one JSON object:

  first_screen_ms / empty_page_ms: from navigation until the first cards are in the DOM, and the same for an
  empty page; cards / items: in the DOM at first; filtered: what the DOM holds after each interaction;
  screenshot: the file written, with its count of distinct colours.

usage: drive_report.py CHROMIUM REPORT_INDEX SCREENSHOT [SEARCH_TEXT] [STAGE]
"""
import base64, json, os, struct, subprocess, sys, tempfile, time, zlib

chromium, index, shot = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
search = sys.argv[4] if len(sys.argv) > 4 else ""
stage = sys.argv[5] if len(sys.argv) > 5 else ""

to_browser_r, to_browser_w = os.pipe()
from_browser_r, from_browser_w = os.pipe()


def child_fds():
    os.dup2(to_browser_r, 3)
    os.dup2(from_browser_w, 4)


profile = tempfile.mkdtemp()
browser = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run",
                            "--remote-debugging-pipe", "--user-data-dir=" + profile, "--window-size=1280,900"],
                           pass_fds=(3, 4), preexec_fn=child_fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(to_browser_r)
os.close(from_browser_w)
out = os.fdopen(to_browser_w, "wb", buffering=0)
inp = os.fdopen(from_browser_r, "rb", buffering=0)
buffer = b""
next_id = 0
events = []


def read_message():
    global buffer
    while b"\0" not in buffer:
        chunk = inp.read(65536)
        if not chunk:
            raise SystemExit("chromium closed the pipe")
        buffer += chunk
    message, buffer = buffer.split(b"\0", 1)
    return json.loads(message)


def call(method, params=None, session=None):
    global next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    out.write(json.dumps(message).encode() + b"\0")
    while True:
        reply = read_message()
        if reply.get("id") == next_id:
            if "error" in reply:
                raise SystemExit(f"{method}: {reply['error']}")
            return reply.get("result", {})
        events.append(reply)


def evaluate(session, expression):
    result = call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session)
    if "exceptionDetails" in result:
        raise SystemExit(f"script error: {result['exceptionDetails']}")
    return result["result"].get("value")


def wait_for(session, expression, timeout=20):
    # The page may still be the previous one, or half built: an error means "not yet".
    guarded = f"(() => {{ try {{ return !!({expression}); }} catch (e) {{ return false; }} }})()"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if evaluate(session, guarded):
            return True
        time.sleep(0.02)
    return False


def open_page(session, url, ready):
    """Milliseconds from navigation until `ready` holds in the page."""
    start = time.monotonic()
    call("Page.navigate", {"url": url}, session)
    if not wait_for(session, ready):
        raise SystemExit(f"{url}: never ready ({ready})")
    return (time.monotonic() - start) * 1000


def distinct_colours(png):
    """Decodes an 8-bit RGB/RGBA PNG (as Chromium writes them) and counts its distinct colours."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, data, width, height, channels = 8, b"", 0, 0, 4
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            channels = {2: 3, 6: 4}[colour]
        elif kind == b"IDAT":
            data += body
        pos += 12 + length
    raw = zlib.decompress(data)
    stride = width * channels
    previous = bytearray(stride)
    colours = set()
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = previous[x]
            c = previous[x - channels] if x >= channels else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if y % 4 == 0:
            for x in range(0, stride, channels * 4):
                colours.add(bytes(line[x:x + 3]))
        previous = line
    return len(colours)


results = {}
try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Page.enable", {}, session)
    call("Runtime.enable", {}, session)
    empty = os.path.join(profile, "empty.html")
    with open(empty, "w") as f:
        f.write("<!doctype html><html><body><p id=x>empty</p></body></html>")
    results["empty_page_ms"] = round(min(open_page(session, "file://" + empty, "document.getElementById('x') !== null") for _ in range(3)), 1)
    url = "file://" + index
    results["first_screen_ms"] = round(open_page(session, url, "document.querySelectorAll('article.item').length > 0"), 1)
    first = evaluate(session, """({items: document.querySelectorAll('article.item').length, tiles: document.querySelectorAll('.tile').length,
        shown: document.getElementById('shown').textContent, firstStatus: (document.querySelector('.tile') || {}).dataset?.status || null,
        images: document.querySelectorAll('.tile img').length, thumbnails: document.querySelectorAll('.tile img[src^="thumbs/files/"]').length,
        inlined: document.querySelectorAll('img[src^="data:"]').length,
        transferred: performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
          .filter(e => !/\\.(png|jpe?g|webp)$/i.test(e.name)).reduce((n, e) => n + (e.encodedBodySize || e.transferSize || 0), 0)})""")
    results["first"] = first
    first["loaded"] = wait_for(session, "Array.from(document.querySelectorAll('.tile img')).slice(0, 4).every(i => i.complete && i.naturalWidth > 0)", timeout=10)

    def state(label):
        results[label] = evaluate(session, """({hash: location.hash, items: document.querySelectorAll('article.item').length,
            statuses: Array.from(new Set(Array.from(document.querySelectorAll('.tile')).map(t => t.dataset.status))),
            stages: Array.from(new Set(Array.from(document.querySelectorAll('article.item')).map(a => a.dataset.stage))),
            keys: Array.from(document.querySelectorAll('article.item')).map(a => a.dataset.key),
            shown: document.getElementById('shown').textContent})""")

    if evaluate(session, "(() => { const b = document.querySelector('#statuses button[data-status=\"failed\"]'); if (b) b.click(); return !!b; })()"):
        state("after_failed_click")
    evaluate(session, "document.querySelector('#statuses button[data-status=\"\"]').click()")
    if search:
        evaluate(session, f"(() => {{ const s = document.getElementById('search'); s.value = {json.dumps(search)}; s.dispatchEvent(new Event('input')); }})()")
        wait_for(session, "location.hash.includes('q=')")
        state("after_search")
        evaluate(session, "(() => { const s = document.getElementById('search'); s.value = ''; s.dispatchEvent(new Event('input')); })()")
        wait_for(session, "!location.hash.includes('q=')")
    if stage:
        evaluate(session, f"document.querySelector('#stages button[data-stage={json.dumps(stage)}]').click()")
        state("after_stage_click")
    # A link with the filters in its fragment opens filtered.
    open_page(session, "about:blank", "true")
    fragment = "#status=failed" + (f"&stage={stage}" if stage else "")
    open_page(session, url + fragment, "location.hash.length > 0 && document.getElementById('shown').textContent.length > 0")
    state("opened_with_fragment")
    # Back to everything, scrolled to the top, images loaded, for the picture.
    open_page(session, "about:blank", "true")
    open_page(session, url, "document.querySelectorAll('article.item').length > 0")
    wait_for(session, "Array.from(document.querySelectorAll('.tile img')).slice(0, 8).every(i => i.complete)", timeout=10)
    png = base64.b64decode(call("Page.captureScreenshot", {"format": "png"}, session)["data"])
    with open(shot, "wb") as f:
        f.write(png)
    results["screenshot"] = {"path": shot, "bytes": len(png), "colours": distinct_colours(png)}
finally:
    try:
        call("Browser.close")
    except BaseException:
        pass
    try:
        browser.wait(timeout=10)
    except subprocess.TimeoutExpired:
        browser.kill()
print(json.dumps(results))
