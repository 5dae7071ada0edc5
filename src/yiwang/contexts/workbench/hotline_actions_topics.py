"""热点: recent messages to 12345 clustered by place (district) and topic (the words of their
subjects), ranked by how many messages each cluster holds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.workbench import hotline_repository as repo
from yiwang.contexts.workbench import hotline_text as text
from yiwang.contexts.workbench.hotline_schemas import HotTopic
from yiwang.core import authz
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow

# words that name a place or the hotline itself, not a topic
PLACE_WORDS = frozenset(
    "西湖 西湖区 上城 上城区 拱墅 拱墅区 滨江 滨江区 萧山 萧山区 余杭 余杭区 杭州 杭州市 小区 社区 街道".split()
)


def hot_topic_list(
    session: Session, actor: Actor, days: int = 30, limit: int = 10, min_count: int = 2
) -> list[HotTopic]:
    """The largest clusters of the last `days` days in the actor's region, largest first."""
    region = (actor.region_code or "330100")[:6]
    authz.check(actor, "workbench.hot_topic_list", region)
    prefix = "" if actor.has("admin") else (region.rstrip("0") if region.endswith("00") else region)
    rows = repo.received_since(session, utcnow() - timedelta(days=days), prefix)
    rows.sort(key=lambda o: (o.received_at, o.id))
    by_id = {o.id: o for o in rows}
    found = text.clusters(((o.id, o.region_code, text.term_set(text.terms(o.subject))) for o in rows),
                          stop=PLACE_WORDS)  # fmt: skip
    names: dict[str, str] = {}
    out: list[HotTopic] = []
    for c in found:
        if len(c.members) < min_count or len(out) >= limit:
            continue
        region_name = names.setdefault(c.region_code, identity.region_name(session, c.region_code))
        words = c.label()
        latest = max(by_id[i].received_at for i in c.members)
        out.append(HotTopic(rank=len(out) + 1, region_code=c.region_code, region=region_name, words=words,
                            label=f"{region_name}·{'、'.join(words[:2])}", count=len(c.members), latest_at=latest,
                            order_ids=sorted(c.members), sample=by_id[c.members[-1]].subject))  # fmt: skip
    return out
