"""Where a point lies: the grid by point-in-polygon over an STR-tree of the grids (shapely), so a
lookup stays logarithmic in the number of grids; the street and district follow from the grid.
Distances on the sphere (haversine) for duplicates and the nearest car parks."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import Point, shape
from sqlalchemy.orm import Session

from yiwang.contexts import identity

EARTH_M = 6_371_008.8


@dataclass(frozen=True)
class Place:
    grid_code: str
    grid_name: str
    street_code: str
    district_code: str


class GridIndex:
    """The grids' polygons in an STR-tree. Built once per process from identity's grids."""

    def __init__(self, grids: list[tuple[str, str, str, dict[str, Any]]]) -> None:
        self.rows = sorted(grids)
        self.polygons = [shape(g[3]) for g in self.rows]
        self.tree = shapely.STRtree(self.polygons)
        self.bounds = shapely.total_bounds(self.polygons) if self.polygons else (0.0, 0.0, 0.0, 0.0)

    def __len__(self) -> int:
        return len(self.rows)

    def locate(self, lon: float, lat: float) -> Place | None:
        hits = self.tree.query(Point(lon, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        code, name, street, _ = self.rows[int(min(hits))]  # on a shared edge: the lower code
        return Place(code, name, street, street[:6])

    def locate_many(self, points: list[tuple[float, float]]) -> list[Place | None]:
        if not points:
            return []
        geoms = shapely.points(points)
        pairs = self.tree.query(geoms, predicate="intersects")  # (input index, tree index)
        first: dict[int, int] = {}
        for i, j in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
            if i not in first or j < first[i]:
                first[i] = j
        out: list[Place | None] = []
        for i in range(len(points)):
            j = first.get(i)
            if j is None:
                out.append(None)
                continue
            code, name, street, _ = self.rows[j]
            out.append(Place(code, name, street, street[:6]))
        return out


_lock = threading.Lock()
_index: GridIndex | None = None


def index(session: Session) -> GridIndex:
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = GridIndex([(g.code, g.name, g.street_code, g.geometry)
                                    for g in identity.grid_shapes(session)])  # fmt: skip
    return _index


def forget() -> None:
    """The grids changed (a seed): the next lookup rebuilds the index."""
    global _index
    _index = None


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(a)))


def box_around(lon: float, lat: float, metres: float) -> tuple[float, float, float, float]:
    """A lon/lat box holding the circle of `metres` around the point (for an indexed pre-filter)."""
    dlat = math.degrees(metres / EARTH_M)
    dlon = dlat / max(0.01, math.cos(math.radians(lat)))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat
