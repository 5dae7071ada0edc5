"""City-brain scenarios as pure rules: the nearest car parks with free spaces (illegal
parking), Webster's signal timing with before/after delays (congestion), and the waterlogging
threshold (sensors)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from yiwang.contexts.cityops.geo import distance_m

WATER_THRESHOLD_CM = 15.0  # 积水超过 15 厘米：影响通行，立即生成紧急事件
MOVE_WITHIN_MINUTES = 30


@dataclass(frozen=True)
class NearbyPark:
    name: str
    address: str
    free_spaces: int
    distance_m: int


def nearest_parks(parks: list[Any], lon: float, lat: float, n: int = 3) -> list[NearbyPark]:
    """The `n` nearest car parks that have a free space (a full one is never offered)."""
    ranked = sorted(((distance_m(lon, lat, p.lon, p.lat), p) for p in parks if p.free_spaces > 0),
                    key=lambda x: (x[0], x[1].id))  # fmt: skip
    return [NearbyPark(p.name, p.address, p.free_spaces, round(d)) for d, p in ranked[:n]]


@dataclass(frozen=True)
class Phase:
    name: str
    flow: float  # veh/h on the critical lane
    saturation: float  # veh/h of green
    green: float  # s, as timed now


@dataclass(frozen=True)
class PhasePlan:
    name: str
    ratio: float  # y = q / s
    green_before: float
    green_after: float
    delay_before: float | None  # s/veh, None when over-saturated
    delay_after: float | None


@dataclass(frozen=True)
class SignalPlan:
    cycle_before: float
    cycle_after: float | None  # None: Y >= 1, no cycle can serve the flows
    lost_time: float
    flow_ratio: float  # Y
    phases: tuple[PhasePlan, ...]
    delay_before: float | None  # flow-weighted mean s/veh
    delay_after: float | None


def webster_delay(cycle: float, green: float, flow_h: float, saturation_h: float) -> float | None:
    """Webster's average delay per vehicle (s): uniform + random terms less the empirical
    correction; None when the approach is over-saturated (x >= 1)."""
    lam = green / cycle
    q = flow_h / 3600
    x = flow_h / (saturation_h * lam) if lam > 0 else math.inf
    if x >= 1 or q <= 0:
        return None if q > 0 else 0.0
    uniform = cycle * (1 - lam) ** 2 / (2 * (1 - lam * x))
    random_ = x**2 / (2 * q * (1 - x))
    correction = 0.65 * (cycle / q**2) ** (1 / 3) * x ** (2 + 5 * lam)
    return max(0.0, uniform + random_ - correction)


def _weighted(delays: list[float | None], flows: list[float]) -> float | None:
    if any(d is None for d in delays):
        return None
    return sum(d * q for d, q in zip(delays, flows, strict=True) if d is not None) / sum(flows)


def webster(phases: list[Phase], cycle_now: float, lost_time: float) -> SignalPlan:
    """Webster's optimum cycle C0 = (1.5 L + 5) / (1 - Y), effective greens split in proportion
    to each phase's flow ratio y = q/s, within 30..180 s."""
    ys = [p.flow / p.saturation for p in phases]
    big_y = sum(ys)
    before = [webster_delay(cycle_now, p.green, p.flow, p.saturation) for p in phases]
    flows = [p.flow for p in phases]
    if big_y >= 1:
        rows = tuple(
            PhasePlan(p.name, round(y, 3), p.green, p.green, d, None)
            for p, y, d in zip(phases, ys, before, strict=True)
        )
        return SignalPlan(cycle_now, None, lost_time, round(big_y, 3), rows, _weighted(before, flows), None)
    c0 = min(180.0, max(30.0, (1.5 * lost_time + 5) / (1 - big_y)))
    greens = [(c0 - lost_time) * y / big_y for y in ys]
    after = [webster_delay(c0, g, p.flow, p.saturation) for g, p in zip(greens, phases, strict=True)]
    rows = tuple(
        PhasePlan(p.name, round(y, 3), p.green, round(g, 1), _r(db), _r(da))
        for p, y, g, db, da in zip(phases, ys, greens, before, after, strict=True)
    )
    return SignalPlan(cycle_now, round(c0, 1), lost_time, round(big_y, 3), rows, _r(_weighted(before, flows)),
                      _r(_weighted(after, flows)))  # fmt: skip


def _r(v: float | None) -> float | None:
    return round(v, 1) if v is not None else None


def over_threshold(kind: str, value: float) -> bool:
    return kind == "water_level" and value >= WATER_THRESHOLD_CM
