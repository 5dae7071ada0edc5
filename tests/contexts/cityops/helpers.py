"""Shared set-up for city-operations tests: points inside the demo grids, a tiny photo."""

from __future__ import annotations

import struct
import zlib

from shapely.geometry import shape

from yiwang.contexts import identity
from yiwang.core.db import transaction

GRID = "330106001G01"  # the demo grid worker's grid


def point_in(grid_code: str = GRID, dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    with transaction() as s:
        g = next(g for g in identity.grid_shapes(s) if g.code == grid_code)
    p = shape(g.geometry).representative_point()
    return round(p.x + dx, 7), round(p.y + dy, 7)


def png() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"\x00\xff\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))  # fmt: skip


def free_point(category: str, grid_code: str = GRID, metres: float = 120.0) -> tuple[float, float]:
    """A point inside the grid at least `metres` from every open event of the category (so a
    story's report is not taken for a duplicate of an earlier test's)."""
    from shapely.geometry import Point
    from sqlalchemy import text

    from yiwang.contexts.cityops.geo import distance_m

    with transaction() as s:
        g = next(g for g in identity.grid_shapes(s) if g.code == grid_code)
        taken = s.execute(text("SELECT lon, lat FROM city_event WHERE category_code = :c AND closed_at IS NULL"),
                          {"c": category}).all()  # fmt: skip
    poly = shape(g.geometry)
    x0, y0, x1, y1 = poly.bounds
    steps = 24
    for i in range(steps * steps):
        x = x0 + (x1 - x0) * ((i % steps) + 0.5) / steps
        y = y0 + (y1 - y0) * ((i // steps) + 0.5) / steps
        if poly.contains(Point(x, y)) and all(distance_m(x, y, a, b) >= metres for a, b in taken):
            return round(x, 6), round(y, 6)
    raise AssertionError(f"no free point in {grid_code}")
