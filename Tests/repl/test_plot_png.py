"""Pixels of the PNGs `plot` writes: decodes the file (zlib + PNG row filters) and checks that
RGB image grids keep their colors where they were drawn. Run: LUMEN=binary python3 Tests/repl/test_plot_png.py"""
import os
import struct
import subprocess
import tempfile
import unittest
import zlib

LUMEN = os.path.abspath(os.environ.get("LUMEN", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug", "lumen")))


def read_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color == 2, "expected 8-bit RGB"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride, bpp = width * 3, 3
    rows, previous, offset = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1:offset + 1 + stride])
        offset += 1 + stride
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + pred) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, 3)])
        previous = line
    return width, height, rows


class PlotImageTests(unittest.TestCase):
    def test_rgb_images_keep_their_colors(self):
        # One 3x8x8 image (channel-major, as tensors are): left half pure red, right half pure blue.
        path = os.path.join(tempfile.mkdtemp(), "rgb.png")
        code = ("local t = torch.zeros(1, 3, 8, 8) "
                "t[{1, 1, {}, {1, 4}}] = 1 t[{1, 3, {}, {5, 8}}] = 1 "
                "plot.images([[" + path + "]], t, {normalize = false})")
        r = subprocess.run([LUMEN, "-e", code], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        _, _, rows = read_png(path)
        counts = {}
        for row in rows:
            for pixel in row:
                counts[pixel] = counts.get(pixel, 0) + 1
        red, blue = counts.get((255, 0, 0), 0), counts.get((0, 0, 255), 0)
        # The 8x8 image is upscaled by an integer factor k: 32 cells of each color, k*k pixels each.
        self.assertGreater(red, 0)
        self.assertEqual(red, blue)
        self.assertEqual(red % 32, 0)
        # No mixed channels (a channel-last misread would produce e.g. magenta or green pixels).
        for bad in [(255, 0, 255), (0, 255, 0), (255, 255, 0), (0, 255, 255)]:
            self.assertEqual(counts.get(bad, 0), 0, f"unexpected color {bad}")
        # Red is on the left of blue in every image row that has both.
        for row in rows:
            xs_red = [x for x, p in enumerate(row) if p == (255, 0, 0)]
            xs_blue = [x for x, p in enumerate(row) if p == (0, 0, 255)]
            if xs_red and xs_blue:
                self.assertLess(max(xs_red), min(xs_blue))


if __name__ == "__main__":
    unittest.main()
