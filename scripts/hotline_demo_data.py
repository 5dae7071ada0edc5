"""Rebuild the 12345 demo data shipped in src/yiwang/contexts/workbench/data/ from the shared
corpus (../shared/data): the category tree as is, every 8th message with its official reply
(the archive of past cases), and recent messages picked by topic so that hot topics form.

    .venv/bin/python scripts/hotline_demo_data.py /work/shared/data
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "yiwang" / "contexts" / "workbench" / "data"
# (words any of which the subject holds, the demo district it is told of, how many)
TOPICS = (
    (("物业",), "330106", 7), (("噪音", "扰民", "噪声"), "330106", 5), (("停车",), "330102", 5),
    (("幼儿园",), "330102", 4), (("公交",), "330108", 4), (("拆迁",), "330108", 3), (("油烟",), "330106", 3),
)  # fmt: skip


def main(src: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "complaint_taxonomy.csv", OUT / "hotline_taxonomy.csv")
    with (src / "hotline_messages_with_replies.jsonl").open(encoding="utf-8") as f, \
            (OUT / "hotline_past_cases.jsonl").open("w", encoding="utf-8") as out:  # fmt: skip
        for n, line in enumerate(f):
            if n % 8 == 0:
                r = json.loads(line)
                keep = {k: r.get(k) for k in ("id", "subject", "body", "submitted_at", "reply", "replied_at")}
                out.write(json.dumps(keep, ensure_ascii=False) + "\n")
    picked: list[dict[str, object]] = []
    seen: set[str] = set()
    rows = [
        json.loads(line) for line in (src / "hotline_messages_labelled_train.jsonl").open(encoding="utf-8")
    ]
    for words, region, n in TOPICS:
        for r in rows:
            if n == 0:
                break
            if r["subject"] in seen or not any(w in r["subject"] for w in words) or len(r["body"]) > 600:
                continue
            seen.add(r["subject"])
            picked.append(
                {"subject": r["subject"], "body": r["body"], "label": r["label"], "region_code": region}
            )
            n -= 1
    with (OUT / "hotline_recent.jsonl").open("w", encoding="utf-8") as out:
        for p in picked:
            out.write(json.dumps(p, ensure_ascii=False) + "\n")
    print(f"{len(picked)} recent messages")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data"))
