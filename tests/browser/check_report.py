#!/usr/bin/env python3
"""The HTML report, checked as XML and in a real browser.

check_report.py [--xml-only] DSSELECT

Writes `dsselect report` (and `compare -o html`) pages into a scratch directory, parses each
with xml.etree (the page is well-formed XHTML), then, unless --xml-only, renders the report
with headless chromium at 1280x800 and at phone width (390x844): each screenshot must not be
blank, and chromium's DOM (--dump-dom) must hold the charts and the winner's id. Without a
chromium binary it prints a SKIP line and exits 77 (CTest's SKIP_RETURN_CODE).
Python standard library only.
"""
import json
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

SKIP = 77
XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
CHART_IDS = ["scatter", "memory-bars", "tco-bars", "rejections"]


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=180, **kwargs)


def winner_label(dsselect, scenario):
    result = run([dsselect, "recommend", "--scenario", scenario, "-o", "json"])
    if result.returncode != 0:
        fail(f"recommend -o json exited {result.returncode}: {result.stderr}")
    top = json.loads(result.stdout)["recommendations"][0]
    return f'{top["model"]}:{top["variant"]}@{top["hardware"]}x{top["gpus_per_replica"]}'


def check_xml(path, winner, extra_ids=()):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        fail(f"{path.name} is not well-formed XML: {error}")
    if root.tag != XHTML + "html":
        fail(f"{path.name}: root element is {root.tag}, expected XHTML html")
    ids = {element.get("id"): element for element in root.iter() if element.get("id")}
    for chart in CHART_IDS:
        element = ids.get(chart)
        if element is None or element.tag != SVG + "svg":
            fail(f"{path.name}: no <svg id=\"{chart}\">")
        if not element.get("viewBox") or "chart" not in element.get("class", ""):
            fail(f"{path.name}: <svg id=\"{chart}\"> lacks a viewBox or the responsive chart class")
    for extra in extra_ids:
        if extra not in ids:
            fail(f"{path.name}: no element with id=\"{extra}\"")
    if winner is not None:
        labels = [e.text for e in root.iter(XHTML + "strong") if e.get("class") == "winner-label"]
        if labels != [winner]:
            fail(f"{path.name}: winner label {labels}, expected [{winner!r}]")
    if any(root.iter(XHTML + "script")):
        fail(f"{path.name}: has a <script>")
    circles = sum(1 for _ in ids["scatter"].iter(SVG + "circle"))
    print(f"ok: {path.name} is well-formed XHTML with {', '.join(CHART_IDS)}; {circles} points in the scatter")


def png_pixels(path):
    """(width, height, set of distinct pixels, fraction of pixels that are not the most common one)."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path.name} is not a PNG")
    offset = 8
    idat = b""
    width = height = bit_depth = colour_type = None
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            width, height, bit_depth, colour_type = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour_type)
    if bit_depth != 8 or channels is None:
        fail(f"{path.name}: unsupported PNG (bit depth {bit_depth}, colour type {colour_type})")
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    counts = {}
    position = 0
    for _ in range(height):
        kind = raw[position]
        line = bytearray(raw[position + 1:position + 1 + stride])
        position += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            upper_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                p = left + up - upper_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else upper_left
                line[i] = (line[i] + predictor) & 0xFF
        for i in range(0, stride, channels):
            pixel = bytes(line[i:i + channels])
            counts[pixel] = counts.get(pixel, 0) + 1
        previous = line
    most = max(counts.values())
    return width, height, counts, 1.0 - most / (width * height)


def chromium_binary():
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def chromium(binary, profile, *args):
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--hide-scrollbars", "--no-first-run", f"--user-data-dir={profile}", *args]
    return run(command)


def main():
    args = sys.argv[1:]
    xml_only = "--xml-only" in args
    args = [a for a in args if a != "--xml-only"]
    if len(args) != 1:
        print(__doc__)
        return 2
    dsselect = args[0]
    with tempfile.TemporaryDirectory(prefix="dsselect-html-") as scratch:
        scratch = Path(scratch)
        report = scratch / "report.html"
        result = run([dsselect, "report", "--scenario", "customer-service", "--output-file", str(report)])
        if result.returncode != 0:
            fail(f"dsselect report exited {result.returncode}: {result.stderr}")
        winner = winner_label(dsselect, "customer-service")
        # The zoomed scatter of the accepted candidates, and the full view beside it.
        check_xml(report, winner, ["scatter-full", "scatter-zoom-note", "inputs-scenario"])
        comparison = scratch / "compare.html"
        result = run([dsselect, "compare", "--scenario", "finance-risk", "base", "ultra", "-o", "html",
                      "--output-file", str(comparison)])
        if result.returncode != 0:
            fail(f"dsselect compare -o html exited {result.returncode}: {result.stderr}")
        # The seed §3.2 figures quoted beside the computed ones.
        check_xml(comparison, None, ["quoted"])
        plans = scratch / "plans.html"
        result = run([dsselect, "report", "--scenario", "multi-task-support", "--output-file", str(plans)])
        if result.returncode != 0:
            fail(f"dsselect report (multi-task-support) exited {result.returncode}: {result.stderr}")
        check_xml(plans, winner_label(dsselect, "multi-task-support"), ["multi-task", "multi-task-plans"])
        if xml_only:
            return 0

        binary = chromium_binary()
        if binary is None:
            print("SKIP: chromium is not installed (apt-get install chromium); the browser test did not run")
            return SKIP
        version = run([binary, "--version"]).stdout.strip()
        url = report.resolve().as_uri()
        for width, height in ((1280, 800), (390, 844)):
            shot = scratch / f"shot-{width}.png"
            result = chromium(binary, scratch / "profile", f"--window-size={width},{height}", f"--screenshot={shot}", url)
            if not shot.exists():
                fail(f"{version} wrote no screenshot at {width}x{height} (exit {result.returncode}): {result.stderr[-2000:]}")
            got_width, got_height, colours, inked = png_pixels(shot)
            if (got_width, got_height) != (width, height):
                fail(f"screenshot is {got_width}x{got_height}, expected {width}x{height}")
            if len(colours) < 20 or inked < 0.02:
                fail(f"screenshot at {width}x{height} looks blank: {len(colours)} colours, {inked:.1%} non-background")
            print(f"ok: {version} screenshot {width}x{height}: {len(colours)} colours, {inked:.1%} non-background pixels")
        result = chromium(binary, scratch / "profile", "--dump-dom", url)
        dom = result.stdout
        if result.returncode != 0 or "<svg" not in dom:
            fail(f"--dump-dom exited {result.returncode} without an <svg>: {result.stderr[-2000:]}")
        for chart in CHART_IDS + ["scatter-full"]:
            if f'id="{chart}"' not in dom:
                fail(f'the rendered DOM lacks id="{chart}"')
        if winner not in dom:
            fail(f"the rendered DOM lacks the winner {winner}")
        if dom.count("<circle") < 10:
            fail(f"the rendered DOM has {dom.count('<circle')} circles, expected a scatter")
        print(f"ok: the rendered DOM holds {', '.join(CHART_IDS)}, {dom.count('<circle')} circles and the winner {winner}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
