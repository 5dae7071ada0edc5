"""The hotline category suggestion: the shipped model, training it from the CLI on part of the
labelled messages, and the numpy predictor agreeing with the scikit-learn one it was trained as."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from yiwang.cli import app
from yiwang.contexts.workbench import hotline_classifier as hc
from yiwang.contexts.workbench import hotline_training as ht

DATA = ht.DEFAULT_DATA
TAXONOMY = DATA.with_name("complaint_taxonomy.csv")
needs_data = pytest.mark.skipif(not DATA.is_file(), reason="../shared/data/ is not beside the repository")

# Written for these tests, not taken from the training data: one plain message per class.
MESSAGES = [
    ("小区垃圾没人清理", "我们小区门口的垃圾桶已经一个星期没人清运了，臭气熏天，物业也不管。", "城乡建设"),
    (
        "孩子就近入学",
        "我家孩子今年九月上小学，户口在本区但学区划片把我们分到很远的学校，能否就近入学？",
        "教育文体",
    ),
    (
        "公司拖欠工资",
        "我在一家建筑公司打工，老板已经拖欠我们三个月工资，也没有给我们交社保。",
        "劳动和社会保障",
    ),
    ("工厂夜间排放废气", "附近的化工厂每天晚上偷偷排放刺鼻的废气，河里的水也被污染发黑了。", "环境保护"),
    (
        "医院乱收费",
        "我母亲在县人民医院住院，医生开了很多不必要的检查，收费明显偏高，医保也不给报销。",
        "卫生计生",
    ),
    (
        "出租车拒载绕路",
        "昨天晚上在火车站打出租车，司机拒载，上车后又故意绕路多收钱，车牌号是A12345。",
        "交通运输",
    ),
    (
        "超市销售过期食品",
        "在家门口的超市买到过期的牛奶，找商家退货被拒绝，希望市场监管部门查处。",
        "商贸旅游",
    ),
]


def _first_level() -> set[str]:
    with TAXONOMY.open(encoding="utf-8") as handle:
        return {row["level1"] for row in csv.DictReader(handle)}


def test_the_shipped_model_ranks_first_level_classes_with_confidences_summing_to_one() -> None:
    for subject, body, _ in MESSAGES:
        ranked = hc.suggest(subject, body)
        names = [name for name, _ in ranked]
        confidences = [c for _, c in ranked]
        assert len(names) == len(set(names)) == 7
        assert confidences == sorted(confidences, reverse=True)
        assert sum(confidences) == pytest.approx(1.0, abs=1e-6)
        assert all(0.0 <= c <= 1.0 for c in confidences)
    if TAXONOMY.is_file():
        assert set(hc.model().classes) <= _first_level()


def test_the_shipped_model_suggests_the_right_class_for_plain_messages() -> None:
    right = [hc.suggest(subject, body)[0][0] == label for subject, body, label in MESSAGES]
    assert sum(right) >= 6, [hc.suggest(s, b)[0] for s, b, _ in MESSAGES]


def test_empty_odd_and_very_long_text_still_gives_a_ranking() -> None:
    for subject, body in (
        ("", ""),
        ("   ", "\n\t"),
        ("？？？", "!!!"),
        ("投诉", "噪音" * 50_000),
        ("ＡＢＣ１２３", "abc"),
    ):
        ranked = hc.suggest(subject, body)
        assert len(ranked) == 7
        assert sum(c for _, c in ranked) == pytest.approx(1.0, abs=1e-6)


def test_the_model_loads_once_when_many_threads_ask_at_first() -> None:
    hc._model = None
    seen: list[hc.Model] = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        seen.append(hc.model())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and all(m is seen[0] for m in seen)


def _write(path: Path, messages: list[ht.Message]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for m in messages:
            handle.write(
                json.dumps({"subject": m.subject, "body": m.body, "label": m.label}, ensure_ascii=False)
            )
            handle.write("\n")


@needs_data
@pytest.mark.slow
def test_train_on_a_subset_then_the_artifact_predicts_held_out_messages(tmp_path: Path) -> None:
    messages = ht.read_jsonl(DATA)
    rng = np.random.default_rng(5)
    order = rng.permutation(len(messages))
    train = [messages[i] for i in order[:1500]]
    held = [messages[i] for i in order[1500:1900]]
    _write(tmp_path / "train.jsonl", train)
    out = tmp_path / "model.npz"
    result = CliRunner().invoke(
        app, ["hotline", "train", "--data", str(tmp_path / "train.jsonl"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "trained full on 1500 messages, 7 classes" in result.stdout
    assert out.stat().st_size < 5_000_000

    model = hc.Model(out)
    assert model.meta["recipe"] == "full" and model.temperature > 0
    right = sum(model.suggest(m.subject, m.body)[0][0] == m.label for m in held)
    assert right / len(held) >= 0.8  # the full data reaches ~0.9; 1,500 messages a little less

    # The numpy predictor gives the scores of the scikit-learn pipeline it was fitted as.
    fitted = ht.fit(train, ht.RECIPES["full"], calibrate=False)
    expected = ht.scores_of(fitted, held[:50])
    got = np.array([model.scores(m.subject, m.body) for m in held[:50]])
    assert np.allclose(got, expected, atol=2e-2)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).mean() >= 0.98

    # The same data and seed give the same artifact (training is reproducible).
    again = tmp_path / "again.npz"
    result = CliRunner().invoke(
        app, ["hotline", "train", "--data", str(tmp_path / "train.jsonl"), "--out", str(again)]
    )
    assert result.exit_code == 0
    with np.load(out) as a, np.load(again) as b:
        assert sorted(a.files) == sorted(b.files)
        assert all(np.array_equal(a[k], b[k]) for k in a.files)


def test_train_refuses_an_unknown_recipe_or_a_missing_file(tmp_path: Path) -> None:
    out = tmp_path / "model.npz"
    result = CliRunner().invoke(app, ["hotline", "train", "--recipe", "magic", "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("错误：训练参数有误。--recipe：未知的训练方案：magic")
    result = CliRunner().invoke(
        app, ["hotline", "train", "--data", str(tmp_path / "none.jsonl"), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "--data：找不到训练数据文件" in result.stderr
    assert not out.exists()
