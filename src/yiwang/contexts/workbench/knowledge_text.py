"""Chinese text for the knowledge search: rjieba cuts once at write time (`cut_for_search`, so a
long word is found by its parts), stop words and punctuation dropped, and a query widened with
the synonyms citizens use for the words articles use."""

from __future__ import annotations

import html
import re

import rjieba

# domain words jieba would split (rjieba has no dictionary file: added at import)
DOMAIN_WORDS = (
    "出生医学证明", "一件事", "一网通办", "居住证", "身份证", "户口本", "营业执照", "公积金", "住房公积金",
    "医保", "社保", "低保", "养老保险", "医疗保险", "失业保险", "工伤保险", "不动产", "不动产登记",
    "新生儿", "独生子女", "准生证", "生育津贴", "退休金", "物业费", "业委会", "噪音扰民", "违章建筑",
    "占道经营", "电动车", "充电桩", "学区房", "入学", "幼儿园", "廉租房", "公租房", "拆迁", "征收补偿",
    "12345", "热线", "办事指南", "承诺时限", "网格员",
)  # fmt: skip
for _w in DOMAIN_WORDS:
    rjieba.add_word(_w, None, None)

# a citizen's word -> the words an article is likely to use (both ways where it makes sense)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "小孩": ("孩子", "子女", "新生儿"), "孩子": ("子女", "新生儿"), "宝宝": ("新生儿", "婴儿", "孩子"),
    "生娃": ("生育", "出生"), "上户口": ("户籍", "落户", "户口"), "落户": ("户籍", "户口"),
    "户口": ("户籍",), "社保": ("社会保险", "养老保险"), "医保": ("医疗保险",),
    "公积金": ("住房公积金",), "退休金": ("养老金",), "养老金": ("退休金",), "噪音": ("噪声", "扰民"),
    "吵": ("噪声", "扰民"), "扰民": ("噪声",), "乱收费": ("收费", "违规收费"), "拖欠": ("欠薪", "工资"),
    "欠薪": ("拖欠", "工资"), "工资": ("薪资", "欠薪"), "停车": ("泊车", "车位"), "车位": ("停车",),
    "修路": ("道路", "施工"), "路灯": ("照明",), "垃圾": ("环卫", "清运"), "漏水": ("渗水", "维修"),
    "物业": ("物业公司", "物业管理"), "房东": ("租赁", "出租"), "租房": ("租赁", "公租房"),
    "开店": ("营业执照", "开办企业"), "办执照": ("营业执照",), "身份证": ("居民身份证",),
    "结婚": ("婚姻登记",), "离婚": ("婚姻登记",), "上学": ("入学", "学校"), "读书": ("入学", "学校"),
    "看病": ("就医", "医疗"), "报销": ("医疗保险", "结算"), "失业": ("失业保险", "就业"),
    "补贴": ("补助", "津贴"), "补助": ("补贴",), "拆迁": ("征收", "补偿"), "违建": ("违章建筑",),
    "电瓶车": ("电动车",), "摆摊": ("占道经营",), "投诉": ("反映",), "怎么办": ("办理",), "咋办": ("办理",),
}  # fmt: skip

STOP_WORDS = frozenset(
    "的 了 是 在 和 与 及 或 也 就 都 而 又 我 你 他 她 它 我们 你们 他们 这 那 这个 那个 这些 那些 有 没有 "
    "吗 呢 吧 啊 呀 么 什么 怎么 怎样 如何 为什么 哪里 哪些 请问 请 您 您好 一下 可以 能 能否 是否 要 需要 "
    "想 想要 还 把 被 给 对 向 从 到 于 以 为 之 其 等 个 上 下 中 里 后 前 时 会 说 让 很 非常 已经 现在 "
    "因为 所以 但是 但 如果 不 没 无 去 来 做 着 过 啦 嘛 哦 喔 呗 谢谢 感谢".split()
)
_WORDISH = re.compile(r"[\w]", re.UNICODE)


def _keep(term: str) -> bool:
    return bool(term.strip()) and term not in STOP_WORDS and bool(_WORDISH.search(term))


def terms(text: str) -> list[str]:
    """The searchable terms of a text, in order, repeats kept (term frequency counts)."""
    return [t.lower() for t in rjieba.cut_for_search(text or "") if _keep(t)]


def index_text(text: str) -> str:
    """The pre-cut text stored beside an article: terms separated by spaces, ready for FTS5 and
    for PostgreSQL's `to_tsvector('simple', …)`."""
    return " ".join(t.replace('"', "") for t in terms(text))


def query_terms(question: str, limit: int = 48) -> list[str]:
    """The distinct terms of a question, its synonyms after them, at most `limit`."""
    seen: dict[str, None] = {}
    for t in terms(question):
        seen.setdefault(t, None)
    for t in list(seen):
        for s in SYNONYMS.get(t, ()):
            for part in terms(s):
                seen.setdefault(part, None)
    return [t.replace('"', "") for t in seen][:limit]


def highlight(text: str, words: list[str], width: int = 120) -> str:
    """The window of `text` (about `width` characters) with the most query words, HTML-escaped,
    the words in <mark>."""
    body = re.sub(r"\s+", " ", text or "").strip()
    longer = {w for w in words if len(w) > 1}
    words = sorted(longer or set(words), key=len, reverse=True)  # a lone character marks noise
    if not body:
        return ""
    best, best_hits = 0, -1
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE) if words else None
    hits = [m.start() for m in pattern.finditer(body)] if pattern else []
    for start in hits[:200] or [0]:
        begin = max(0, start - width // 4)
        n = sum(1 for h in hits if begin <= h < begin + width)
        if n > best_hits:
            best, best_hits = begin, n
    window = body[best : best + width]
    out = html.escape(window)
    if pattern:
        out = re.sub(
            "|".join(re.escape(html.escape(w)) for w in words),
            lambda m: f"<mark>{m.group(0)}</mark>",
            out,
            flags=re.IGNORECASE,
        )
    return ("…" if best > 0 else "") + out + ("…" if best + width < len(body) else "")


def passages(text: str, size: int = 160) -> list[str]:
    """A body split into passages of about `size` characters at sentence ends."""
    parts = [p for p in re.split(r"(?<=[。！？；\n])", text or "") if p.strip()]
    out: list[str] = []
    current = ""
    for p in parts:
        if current and len(current) + len(p) > size:
            out.append(current.strip())
            current = ""
        current += p
    if current.strip():
        out.append(current.strip())
    return out
