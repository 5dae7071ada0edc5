"""Administrative divisions of the demo city: GB/T 2260 codes and names (2021 onwards).

杭州市 and its districts carry their real codes after the 2021 adjustment (拱墅/上城 merged
with 下城/江干, 临平区 and 钱塘区 created). Street (街道/镇) names are real; their 9-digit codes
are numbered in list order (district code + 001, 002 …) and are not the statistical codes.
"""

from __future__ import annotations

from typing import Any, NamedTuple

Rect = tuple[float, float, float, float]  # lon0, lat0, lon1, lat1

PROVINCE = ("330000", "浙江省")
CITY = ("330100", "杭州市")


class District(NamedTuple):
    code: str
    name: str
    short: str  # as used inside enterprise names: 杭州西湖…有限公司
    population: int  # resident population in 10k, approximately (2020 census): relative weight only
    enterprises: int  # relative weight of registered enterprises
    streets: tuple[str, ...]  # real township-level names, most central first


# fmt: off
DISTRICTS: tuple[District, ...] = (
    District("330102", "上城区", "上城", 132, 14, (
        "湖滨街道", "清波街道", "小营街道", "南星街道", "紫阳街道", "望江街道", "采荷街道", "凯旋街道",
        "闸弄口街道", "四季青街道", "笕桥街道", "九堡街道", "彭埠街道", "丁兰街道",
    )),
    District("330105", "拱墅区", "拱墅", 118, 12, (
        "武林街道", "天水街道", "朝晖街道", "潮鸣街道", "长庆街道", "米市巷街道", "湖墅街道",
        "小河街道", "和睦街道", "拱宸桥街道", "大关街道", "上塘街道", "祥符街道", "半山街道",
    )),
    District("330106", "西湖区", "西湖", 116, 14, (
        "北山街道", "西溪街道", "灵隐街道", "翠苑街道", "文新街道", "古荡街道", "转塘街道", "留下街道",
        "蒋村街道", "西湖街道",
    )),
    District("330108", "滨江区", "滨江", 50, 11, (
        "西兴街道", "长河街道", "浦沿街道",
    )),
    District("330109", "萧山区", "萧山", 201, 15, (
        "城厢街道", "北干街道", "蜀山街道", "新塘街道", "靖江街道", "南阳街道", "宁围街道", "新街街道",
        "闻堰街道",
    )),
    District("330110", "余杭区", "余杭", 123, 13, (
        "五常街道", "闲林街道", "仓前街道", "余杭街道", "中泰街道", "仁和街道", "良渚街道",
    )),
    District("330111", "富阳区", "富阳", 84, 6, (
        "富春街道", "春江街道", "东洲街道", "鹿山街道", "银湖街道",
    )),
    District("330112", "临安区", "临安", 64, 4, (
        "锦城街道", "锦北街道", "锦南街道", "玲珑街道", "青山湖街道",
    )),
    District("330113", "临平区", "临平", 118, 8, (
        "临平街道", "东湖街道", "南苑街道", "星桥街道", "运河街道", "乔司街道", "崇贤街道",
    )),
    District("330114", "钱塘区", "钱塘", 77, 6, (
        "白杨街道", "下沙街道", "河庄街道", "义蓬街道", "新湾街道", "临江街道", "前进街道",
    )),
    District("330122", "桐庐县", "桐庐", 45, 2, (
        "城南街道", "旧县街道", "桐君街道", "凤川街道", "富春江镇", "横村镇", "分水镇",
    )),
    District("330127", "淳安县", "淳安", 33, 2, (
        "千岛湖镇", "文昌镇", "石林镇", "临岐镇", "威坪镇", "姜家镇", "梓桐镇", "汾口镇",
    )),
    District("330182", "建德市", "建德", 44, 2, (
        "新安江街道", "洋溪街道", "更楼街道", "乾潭镇", "梅城镇", "寿昌镇", "大同镇", "下涯镇",
    )),
)
# fmt: on

DISTRICT_BY_CODE = {d.code: d for d in DISTRICTS}

# `small` uses only these three, in this order.
SMALL_DISTRICTS = ("330102", "330106", "330108")

# Rough north-to-south rows for the rectangle layout of the whole city.
CITY_LAYOUT: tuple[tuple[str, ...], ...] = (
    ("330112", "330110", "330105", "330113"),
    ("330106", "330102", "330114"),
    ("330111", "330108", "330109"),
    ("330127", "330182", "330122"),
)
SMALL_LAYOUT: tuple[tuple[str, ...], ...] = (("330106", "330102"), ("330108",))

CITY_BBOX = (119.0, 29.2, 120.7, 30.6)  # lon0, lat0, lon1, lat1
SMALL_BBOX = (120.05, 30.15, 120.25, 30.32)

# Made-up township names for districts that have fewer real streets than a size asks for.
# fmt: off
EXTRA_STREETS = (
    "江晖街道", "春晓街道", "明珠街道", "锦绣街道", "新城街道", "云栖街道", "湖畔街道", "星河街道",
    "翠微街道", "望湖街道", "风华街道", "丰乐街道", "永安街道", "聚才街道", "彩虹街道", "江岸街道",
)
# fmt: on

# Birth-place code of a person born in a district, by birth year: (first year, code). An identity
# number carries the code of the division in force when the person was born (python-stdnum checks
# this): the 2021 districts 临平区/钱塘区 never appear (their people carry 余杭/江干 codes), and
# 330100 杭州市 fills the gaps of the historical table (萧山 1988, 钱塘 after 2021).
# fmt: off
BIRTH_CODES: dict[str, tuple[tuple[int, str], ...]] = {
    "330102": ((1930, "330120"), (1983, "330102")),  # 330120 杭州市市区 until 1983
    "330105": ((1930, "330120"), (1983, "330105")),
    "330106": ((1930, "330120"), (1983, "330106")),
    "330108": ((1930, "330121"), (1988, "330100"), (1989, "330181"), (1996, "330108")),  # 萧山县, 萧山市
    "330109": ((1930, "330121"), (1988, "330100"), (1989, "330181"), (2001, "330109")),
    "330110": ((1930, "330125"), (1995, "330184"), (2001, "330110")),  # 余杭县, 余杭市
    "330111": ((1930, "330123"), (1995, "330183"), (2014, "330111")),  # 富阳县, 富阳市
    "330112": ((1930, "330124"), (1997, "330185"), (2017, "330112")),  # 临安县, 临安市
    "330113": ((1930, "330125"), (1995, "330184"), (2001, "330110")),
    "330114": ((1930, "330120"), (1983, "330104"), (2022, "330100")),  # 330104 江干区 1983-2021
    "330122": ((1930, "330122"),),
    "330127": ((1930, "330127"),),
    "330182": ((1930, "330126"), (1993, "330182")),  # 建德县 until 1992
}
# fmt: on

# County-level divisions elsewhere in China: birth places of people who moved to 杭州.
# (code, name, relative weight, first year, last year the code was in force); most come from
# elsewhere in 浙江 and the neighbouring provinces. The 33xxxx/34xxxx/36xxxx/41xxxx codes with a
# last year are the pre-1983 prefecture (地区) codes that older people's numbers carry.
# fmt: off
OUTSIDE_BIRTHPLACES: tuple[tuple[str, str, int, int, int], ...] = (
    ("330203", "宁波市海曙区", 6, 1983, 2025), ("330302", "温州市鹿城区", 6, 1983, 2025),
    ("330402", "嘉兴市南湖区", 5, 1983, 2025), ("330502", "湖州市吴兴区", 5, 2003, 2025),
    ("330602", "绍兴市越城区", 6, 1983, 2025), ("330702", "金华市婺城区", 5, 1985, 2025),
    ("330782", "义乌市", 4, 1989, 2025), ("331002", "台州市椒江区", 5, 1994, 2025),
    ("340102", "合肥市瑶海区", 6, 1983, 2025), ("360102", "南昌市东湖区", 5, 1983, 2025),
    ("410105", "郑州市金水区", 5, 1983, 2025), ("320102", "南京市玄武区", 3, 1983, 2025),
    ("320505", "苏州市虎丘区", 3, 2000, 2025), ("320583", "昆山市", 2, 1989, 2025),
    ("310101", "上海市黄浦区", 3, 1930, 2025), ("310104", "上海市徐汇区", 2, 1930, 2025),
    ("310115", "上海市浦东新区", 2, 1992, 2025), ("110101", "北京市东城区", 2, 1930, 2025),
    ("110102", "北京市西城区", 1, 1930, 2025), ("110105", "北京市朝阳区", 2, 1930, 2025),
    ("110108", "北京市海淀区", 2, 1930, 2025), ("120101", "天津市和平区", 1, 1930, 2025),
    ("130102", "石家庄市长安区", 1, 1983, 2025), ("140105", "太原市小店区", 1, 1997, 2025),
    ("210102", "沈阳市和平区", 1, 1983, 2025), ("230102", "哈尔滨市道里区", 1, 1983, 2025),
    ("350102", "福州市鼓楼区", 2, 1983, 2025), ("370102", "济南市历下区", 2, 1983, 2025),
    ("420106", "武汉市武昌区", 3, 1983, 2025), ("430102", "长沙市芙蓉区", 3, 1983, 2025),
    ("440103", "广州市荔湾区", 1, 1983, 2025), ("440305", "深圳市南山区", 1, 1983, 2025),
    ("450102", "南宁市兴宁区", 1, 1983, 2025), ("500103", "重庆市渝中区", 3, 1997, 2025),
    ("510104", "成都市锦江区", 3, 1990, 2025), ("520102", "贵阳市南明区", 2, 1983, 2025),
    ("530102", "昆明市五华区", 1, 1983, 2025), ("610113", "西安市雁塔区", 2, 1983, 2025),
    ("620102", "兰州市城关区", 1, 1983, 2025), ("332301", "绍兴市", 6, 1930, 1982),
    ("332322", "上虞县", 4, 1930, 1982), ("332325", "诸暨县", 5, 1930, 1982),
    ("332221", "慈溪县", 4, 1930, 1982), ("332222", "余姚县", 4, 1930, 1982),
    ("332124", "海宁县", 4, 1930, 1982), ("332126", "桐乡县", 4, 1930, 1982),
    ("332130", "安吉县", 3, 1930, 1982), ("332525", "东阳县", 4, 1930, 1981),
    ("332526", "义乌县", 4, 1930, 1981), ("322726", "昆山县", 1, 1930, 1982),
    ("342825", "太湖县", 3, 1930, 1988), ("342423", "霍邱县", 3, 1930, 1999),
    ("362321", "上饶县", 3, 1930, 2000), ("362330", "波阳县", 2, 1930, 2000),
    ("412726", "郸城县", 2, 1930, 2000), ("413026", "固始县", 3, 1930, 1998),
)
# fmt: on


def birth_code(district: str, year: int) -> str:
    return [code for first, code in BIRTH_CODES[district] if first <= year][-1]


# Geometry: districts tile the city box, streets their district, grids their street.
def split(lo: float, hi: float, n: int, r: Any) -> list[float]:
    step = (hi - lo) / n
    inner = [lo + step * (i + 0.5 * (r() - 0.5)) for i in range(1, n)]
    return [round(x, 6) for x in (lo, *inner, hi)]


def tile(rect: Rect, n: int, r: Any) -> list[Rect]:
    """`n` adjacent sub-rectangles of `rect` (lon0, lat0, lon1, lat1), rows north to south."""
    rows = max(1, round(n**0.5))
    counts = [n // rows + (1 if i < n % rows else 0) for i in range(rows)]
    ys = split(rect[1], rect[3], rows, r)[::-1]
    out = []
    for row, count in enumerate(counts):
        xs = split(rect[0], rect[2], count, r)
        out += [(xs[i], ys[row + 1], xs[i + 1], ys[row]) for i in range(count)]
    return out


def polygon(rect: Rect) -> dict[str, Any]:
    x0, y0, x1, y1 = rect
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def layout_rects(small: bool, r: Any) -> dict[str, Rect]:
    layout, box = (SMALL_LAYOUT, SMALL_BBOX) if small else (CITY_LAYOUT, CITY_BBOX)
    ys = split(box[1], box[3], len(layout), r)[::-1]
    rects = {}
    for row, codes in enumerate(layout):
        xs = split(box[0], box[2], len(codes), r)
        for i, code in enumerate(codes):
            rects[code] = (xs[i], ys[row + 1], xs[i + 1], ys[row])
    return rects


def street_names(district: District, n: int) -> list[str]:
    names = list(district.streets[:n])
    names += [s for s in EXTRA_STREETS if s not in district.streets][: n - len(names)]
    return names
