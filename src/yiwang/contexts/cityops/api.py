"""JSON routes of city operations under /api/v1/cityops."""

from __future__ import annotations

import time
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response, UploadFile

from yiwang.contexts.cityops import actions, actions_case, actions_sensor
from yiwang.contexts.cityops.photos import MAX_BYTES
from yiwang.contexts.cityops.schemas import BatchIn, BatchOut, EventIn, EventOut, SensorReading, TransitionIn
from yiwang.contexts.identity import Caller
from yiwang.core.web import body_limit
from yiwang.core.web.deps import DB

router = APIRouter(prefix="/api/v1/cityops", tags=["cityops"])

# A phone's photo is larger than the API's default body limit (photos.py answers a field-keyed 422
# over MAX_BYTES): the photo routes of the API and of the grid worker's pages take one.
_PHOTO = MAX_BYTES + 1024 * 1024
body_limit.allow_larger(r"/api/v1/cityops/events/\d+/photos", _PHOTO)
body_limit.allow_larger(r"/cityops/(report|events/\d+/[a-z_]+)", _PHOTO)
EventId = Annotated[int, Path(ge=1, le=2**63 - 1)]
MAX_PHOTO_BYTES = 5 * 1024 * 1024 + 1

TRANSITIONS = {
    "register": actions_case.event_register, "reject": actions_case.event_reject,
    "dispatch": actions_case.event_dispatch, "return": actions_case.event_return,
    "handle": actions_case.event_handle, "verify": actions_case.event_verify,
    "reopen": actions_case.event_reopen, "merge": actions_case.event_merge,
}  # fmt: skip


@router.post("/events", response_model=EventOut, status_code=201, summary="上报一个城市事件")
def report(body: EventIn, db: DB, actor: Caller, response: Response) -> EventOut:
    out = actions.event_report(db, actor, body)
    response.headers["Location"] = f"/api/v1/cityops/events/{out.id}"
    return out


@router.post(
    "/events/batch",
    response_model=BatchOut,
    status_code=201,
    summary="批量上报城市事件（最多 1000 个，全部成功或全部不写入）",
)
def report_batch(body: BatchIn, db: DB, actor: Caller) -> BatchOut:
    start = time.perf_counter()
    ids = actions.event_report_batch(db, actor, body.events)
    return BatchOut(created=len(ids), ids=ids, seconds=round(time.perf_counter() - start, 4))


@router.post("/sensors/readings", summary="传感器读数（积水超过警戒值即生成紧急事件）")
def sensor_reading(body: SensorReading, db: DB, actor: Caller) -> dict[str, int | None]:
    out = actions_sensor.sensor_reading(db, actor, body)
    return {"event_id": out.id if out else None}


@router.get("/events/{event_id}", response_model=EventOut, summary="查看城市事件")
def read(event_id: EventId, db: DB, actor: Caller) -> EventOut:
    return actions.event_read(db, actor, event_id)


@router.post(
    "/events/{event_id}/photos",
    status_code=201,
    summary="上传城市事件照片（JPEG、PNG、WebP，按内容判断类型）",
)
async def add_photo(event_id: EventId, request: Request, db: DB, actor: Caller, photo: UploadFile,
                    stage: Literal["report", "handle", "verify"] = "report") -> dict[str, int]:  # fmt: skip
    data = await photo.read(MAX_PHOTO_BYTES)
    return {"photo_id": actions.photo_add(db, actor, event_id, data, stage)}


@router.post("/events/{event_id}/{transition}", response_model=EventOut,
             summary="流转城市事件：register 立案、reject 不予立案、dispatch 派遣、return 退单、handle 处置、verify 核查结案、reopen 核查不通过、merge 合并")  # fmt: skip
def move(event_id: EventId, transition: Literal["register", "reject", "dispatch", "return", "handle", "verify",
                                                "reopen", "merge"], body: TransitionIn, db: DB, actor: Caller) -> EventOut:  # fmt: skip
    return TRANSITIONS[transition](db, actor, event_id, body)
