"""Shapes that read as a city: an irregular city outline; districts as Voronoi cells of seeds
placed where the rectangle layout put them, clipped to the outline; streets as Voronoi cells of
points spread over their district (two rounds of Lloyd relaxation, so cells are even), clipped
to it; grids the same within their street. Every level tiles its parent without gaps or
overlaps; coordinates are snapped to 1e-6 degrees (shared edges snap alike). Drawn from a random
stream of its own, so the people of the demo city stay what they were."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from typing import Any

import shapely
from shapely.geometry import MultiPoint, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

PRECISION = 1e-6


def outline(box: tuple[float, float, float, float], rng: random.Random) -> Polygon:
    """A closed, irregular shape inside the box: a noisy ellipse (a few low harmonics)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    rx, ry = (box[2] - box[0]) / 2, (box[3] - box[1]) / 2
    waves = [(k, rng.uniform(0.02, 0.06), rng.uniform(0, 2 * math.pi)) for k in (2, 3, 5, 7)]
    pts = []
    for i in range(72):
        t = 2 * math.pi * i / 72
        r = 0.9 + sum(a * math.sin(k * t + p) for k, a, p in waves)
        r = max(0.7, min(1.0, r))
        pts.append((cx + rx * r * math.cos(t), cy + ry * r * math.sin(t)))
    return Polygon(pts)


def _cells(parent: BaseGeometry, seeds: list[tuple[float, float]]) -> list[BaseGeometry]:
    frame = parent.envelope.buffer(max(parent.bounds[2] - parent.bounds[0], 1e-3))
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=frame, ordered=True)
    return [c.intersection(parent) for c in cells.geoms]


def _spread(parent: BaseGeometry, n: int, rng: random.Random) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = parent.bounds
    pts: list[tuple[float, float]] = []
    while len(pts) < n:
        p = (rng.uniform(x0, x1), rng.uniform(y0, y1))
        if parent.contains(Point(p)):
            pts.append(p)
    for _ in range(2):  # Lloyd: move each seed to its cell's centroid
        pts = [
            (c.centroid.x, c.centroid.y) if not c.is_empty else p
            for c, p in zip(_cells(parent, pts), pts, strict=True)
        ]
    return pts


def tiles(parent: BaseGeometry, n: int, rng: random.Random,
          seeds: list[tuple[float, float]] | None = None) -> list[BaseGeometry]:  # fmt: skip
    """`n` cells tiling `parent`, ordered north to south, then west to east (by centroid)."""
    if n == 1:
        return [parent]
    cells = _cells(parent, seeds or _spread(parent, n, rng))
    if seeds:
        return cells
    return sorted(cells, key=lambda c: (-round(c.centroid.y, 3), c.centroid.x))


def _snap(geoms: list[BaseGeometry]) -> list[BaseGeometry]:
    return [shapely.set_precision(g, PRECISION) for g in geoms]


def geojson(g: BaseGeometry) -> dict[str, Any]:
    out = mapping(g)
    return {"type": out["type"], "coordinates": _listed(out["coordinates"])}


def _listed(c: Any) -> Any:
    if isinstance(c, tuple | list) and c and isinstance(c[0], float | int):
        return [round(float(v), 6) for v in c]
    return [_listed(x) for x in c]


def reshape(regions: list[Any], grids: list[Any], box: tuple[float, float, float, float], seed: int,
            size: str) -> tuple[list[Any], list[Any]]:  # fmt: skip
    """The regions' and grids' geometry redrawn; codes, names and counts kept."""
    rng = random.Random(f"{seed}:shapes:{size}")
    city = outline(box, rng)
    districts = [r for r in regions if r.level == "district"]
    seeds = [(shape(d.geometry).centroid.x, shape(d.geometry).centroid.y) for d in districts]
    new: dict[str, BaseGeometry] = dict(zip([d.code for d in districts], _snap(tiles(city, len(districts), rng, seeds)),
                                            strict=True))  # fmt: skip
    streets: dict[str, list[Any]] = {}
    for r in regions:
        if r.level == "street":
            streets.setdefault(r.parent_code, []).append(r)
    for code, rows in streets.items():
        for r, g in zip(rows, _snap(tiles(new[code], len(rows), rng)), strict=True):
            new[r.code] = g
    by_street: dict[str, list[Any]] = {}
    for g in grids:
        by_street.setdefault(g.street_code, []).append(g)
    grid_shapes: dict[str, BaseGeometry] = {}
    for code, rows in by_street.items():
        for row, g in zip(rows, _snap(tiles(new[code], len(rows), rng)), strict=True):
            grid_shapes[row.code] = g
    regions = [replace(r, geometry=geojson(new[r.code])) if r.code in new else r for r in regions]
    grids = [replace(g, geometry=geojson(grid_shapes[g.code])) for g in grids]
    return regions, grids
