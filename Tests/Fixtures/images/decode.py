#!/usr/bin/env python3
"""Decodes images with Pillow (a second decoder: the tests must not let libvips vouch for its own
output) and prints one JSON object per file: format, size, mode, and a hash of the pixels.

    decode.py FILE...
"""
import hashlib
import json
import sys

from PIL import Image

for path in sys.argv[1:]:
    try:
        with Image.open(path) as image:
            image.load()
            rgb = image.convert("RGBA")
            print(json.dumps({
                "path": path,
                "format": image.format,
                "width": image.width,
                "height": image.height,
                "mode": image.mode,
                "pixels": hashlib.sha256(rgb.tobytes()).hexdigest(),
            }))
    except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
        print(json.dumps({"path": path, "error": f"{type(error).__name__}: {error}"}))
