"""The demo city's service items (政务服务事项) as data: what `seed.py` loads and what the guides show.

An item's code follows the structure of the national basic catalogue (基本目录编码): two digits
of the power type (01 行政许可, 05 行政给付, 07 行政确认, 09 行政裁决, 20 公共服务), four of the
department, three of the main item, three of the sub-item. Each material says where it comes
from: `upload` (the applicant provides it), `shared` (a resource of the exchange proves it, so
once sharing is in place it is waived), `elicense` (an e-license the applicant holds replaces it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

POWER_TYPES = {"01": "行政许可", "05": "行政给付", "07": "行政确认", "09": "行政裁决", "20": "公共服务"}
DEPT_DIGITS = {
    "public_security": "0001", "civil_affairs": "0002", "human_resources": "0003", "health": "0004",
    "medical_insurance": "0005", "market_regulation": "0006", "taxation": "0007", "housing": "0008",
    "transport": "0009", "urban_management": "0010", "education": "0011", "real_estate": "0012",
    "government_service": "0013",
}  # fmt: skip
CHANNELS = {"online": "网上办理", "window": "窗口办理", "terminal": "自助终端"}

HOUSEHOLD = "330100-GA-0001"
MARRIAGE = "330100-MZ-0001"
SOCIAL = "330100-RS-0001"
BIRTH = "330100-WJ-0001"
ENTERPRISE = "330100-SJ-0001"
TAX = "330100-SW-0001"
ESTATE = "330100-BDC-0001"


@dataclass(frozen=True)
class Material:
    name: str
    source: str = "upload"  # upload | shared | elicense
    ref: str = ""  # the resource code (shared) or the item code whose e-license stands for it
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "source": self.source, "ref": self.ref, "note": self.note}


# Form fields: (name, title, kind, prefill "resource.field" or ""); kinds: text, id_number,
# phone, date, credit_code, long_text
Field = tuple[str, str, str, str]
APPLICANT: tuple[Field, ...] = (
    ("name", "申请人姓名", "text", f"{HOUSEHOLD}.name"),
    ("id_number", "公民身份号码", "id_number", f"{HOUSEHOLD}.id_number"),
    ("phone", "联系电话", "phone", ""),
    ("address", "联系地址", "text", f"{HOUSEHOLD}.address"),
)
ENTERPRISE_APPLICANT: tuple[Field, ...] = (
    ("enterprise_name", "企业名称", "text", f"{ENTERPRISE}.name"),
    ("credit_code", "统一社会信用代码", "credit_code", f"{ENTERPRISE}.credit_code"),
    ("legal_rep_name", "法定代表人", "text", f"{ENTERPRISE}.legal_rep_name"),
    ("phone", "联系电话", "phone", ""),
    ("address", "经营场所", "text", f"{ENTERPRISE}.address"),
)
NEWBORN: tuple[Field, ...] = (
    ("child_name", "新生儿姓名", "text", ""),
    ("child_birth_date", "出生日期", "date", ""),
)


@dataclass(frozen=True)
class ItemSpec:
    code: str
    name: str
    department_kind: str
    region_code: str
    legal_days: int
    promised_days: int
    visits: int
    conditions: str
    legal_basis: str
    materials: tuple[Material, ...]
    fields: tuple[Field, ...] = APPLICANT
    fee_fen: int = 0
    channels: tuple[str, ...] = ("online", "window")
    any_window: bool = True
    cross_province: bool = False
    subject: str = "person"  # person | enterprise
    license_name: str = ""  # the e-license issued on completion, if any
    keywords: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def power_type(self) -> str:
        return POWER_TYPES[self.code[:2]]


def code(power: str, kind: str, main: int, sub: int = 0) -> str:
    return f"{power}{DEPT_DIGITS[kind]}{main:03d}{sub:03d}"


XH = "330106"  # 西湖区: the demo citizen's district and the demo clerk's window
HZ = "330100"
ID_CARD = Material("居民身份证", "shared", HOUSEHOLD, "由户籍人口信息核验，免于提交复印件")
HUKOU = Material("居民户口簿", "shared", HOUSEHOLD)
LICENSE = Material("营业执照", "elicense", "01" + DEPT_DIGITS["market_regulation"] + "001000",
                   "调用企业电子营业执照，免于提交")  # fmt: skip
REG = Material("企业登记信息", "shared", ENTERPRISE, "由企业登记信息核验")

# fmt: off
ITEMS: tuple[ItemSpec, ...] = (
    # 出生一件事
    ItemSpec(code("20", "health", 1), "出生医学证明签发", "health", XH, 5, 1, 0,
             "在本市助产机构出生的新生儿，由其父母或监护人申领。",
             "《中华人民共和国母婴保健法》第二十三条",
             (ID_CARD, Material("住院分娩记录", "upload", "", "助产机构出具"),
              Material("父母结婚证", "shared", MARRIAGE, "由婚姻登记信息核验")),
             APPLICANT + NEWBORN, license_name="出生医学证明", keywords=("出生", "新生儿", "出生证")),
    ItemSpec(code("07", "public_security", 1), "出生登记（户口登记）", "public_security", XH, 20, 3, 0,
             "新生儿出生后一个月内，由户主、亲属、抚养人向常住户口所在地户口登记机关申报出生登记。",
             "《中华人民共和国户口登记条例》第七条",
             (Material("出生医学证明", "elicense", code("20", "health", 1)), HUKOU, ID_CARD,
              Material("父母结婚证", "shared", MARRIAGE)),
             APPLICANT + NEWBORN, license_name="户口登记证明", keywords=("落户", "报户口", "新生儿")),
    ItemSpec(code("20", "medical_insurance", 1), "城乡居民基本医疗保险参保登记", "medical_insurance", XH, 5, 1, 0,
             "具有本市户籍、未参加职工基本医疗保险的城乡居民（含新生儿）。",
             "《中华人民共和国社会保险法》第二十五条",
             (ID_CARD, HUKOU, Material("出生医学证明", "elicense", code("20", "health", 1), "新生儿参保时")),
             APPLICANT + NEWBORN, keywords=("医保", "参保", "新生儿")),
    ItemSpec(code("20", "human_resources", 1), "社会保障卡申领", "human_resources", XH, 15, 5, 0,
             "参加本市社会保险的人员（含新生儿）。",
             "《社会保障卡管理办法》（人社部发〔2011〕47号）",
             (ID_CARD, Material("本人近期免冠证件照", "upload", "", "新生儿可不提供")),
             APPLICANT + NEWBORN, license_name="社会保障卡", keywords=("社保卡", "社会保障卡")),
    ItemSpec(code("20", "health", 2), "预防接种证办理", "health", XH, 5, 1, 1,
             "在本市出生或居住的适龄儿童。", "《中华人民共和国疫苗管理法》第四十七条",
             (Material("出生医学证明", "elicense", code("20", "health", 1)), ID_CARD),
             APPLICANT + NEWBORN, channels=("window",), keywords=("疫苗", "接种")),
    # 开办企业一件事
    ItemSpec(code("01", "market_regulation", 1), "企业设立登记", "market_regulation", XH, 15, 1, 0,
             "在本区设立公司、非公司企业法人、合伙企业、个人独资企业。",
             "《中华人民共和国市场主体登记管理条例》第三条",
             (Material("设立登记申请书", "upload"), Material("公司章程", "upload"),
              Material("法定代表人身份证明", "shared", HOUSEHOLD),
              Material("住所使用证明", "shared", ESTATE, "自有房产由不动产登记信息核验")),
             (*APPLICANT, ("enterprise_name", "拟设企业名称", "text", ""), ("business_scope", "经营范围", "long_text", "")),
             license_name="营业执照", keywords=("开办企业", "营业执照", "注册公司")),
    ItemSpec(code("20", "public_security", 2), "公章刻制备案", "public_security", XH, 1, 1, 0,
             "新设立的企业刻制公章。", "《印铸刻字业暨汽车喷漆业管理规定》第七条",
             (LICENSE, Material("法定代表人身份证明", "shared", HOUSEHOLD)),
             ENTERPRISE_APPLICANT, subject="enterprise", keywords=("刻章", "印章", "开办企业")),
    ItemSpec(code("20", "taxation", 1), "新办纳税人涉税事项", "taxation", XH, 1, 1, 0,
             "新设立登记的纳税人办理信息确认、发票领用等涉税事项。",
             "《中华人民共和国税收征收管理法》第十五条",
             (LICENSE, Material("银行账户信息", "upload")),
             ENTERPRISE_APPLICANT, subject="enterprise", keywords=("税务", "发票", "开办企业")),
    ItemSpec(code("20", "human_resources", 2), "单位社会保险登记", "human_resources", XH, 15, 1, 0,
             "新设立的用人单位办理社会保险登记。", "《中华人民共和国社会保险法》第五十七条",
             (LICENSE, REG),
             ENTERPRISE_APPLICANT, subject="enterprise", keywords=("社保登记", "开办企业")),
    ItemSpec(code("20", "government_service", 1), "银行开户预约", "government_service", XH, 1, 1, 1,
             "新设立的企业预约开立银行基本存款账户。", "《人民币银行结算账户管理办法》第十七条",
             (LICENSE,), ENTERPRISE_APPLICANT, subject="enterprise", keywords=("银行", "开户", "开办企业")),
    # 一业一证：便利店
    ItemSpec(code("01", "market_regulation", 2), "食品经营许可", "market_regulation", XH, 20, 10, 1,
             "从事食品销售和餐饮服务的经营者。", "《中华人民共和国食品安全法》第三十五条",
             (LICENSE, Material("食品安全管理制度", "upload"), Material("经营场所平面图", "upload")),
             ENTERPRISE_APPLICANT, subject="enterprise", license_name="食品经营许可证",
             keywords=("便利店", "食品", "一业一证")),
    ItemSpec(code("01", "market_regulation", 3), "酒类商品零售许可", "market_regulation", XH, 20, 5, 1,
             "从事酒类商品零售的经营者。", "《浙江省酒类商品零售许可办法》",
             (LICENSE, Material("经营场所使用证明", "upload")),
             ENTERPRISE_APPLICANT, subject="enterprise", license_name="酒类商品零售许可证",
             keywords=("便利店", "酒类", "一业一证")),
    ItemSpec(code("01", "market_regulation", 4), "烟草专卖零售许可", "market_regulation", XH, 20, 10, 1,
             "从事卷烟零售业务的经营者。", "《中华人民共和国烟草专卖法实施条例》第十一条",
             (LICENSE, ID_CARD, Material("经营场所使用证明", "upload")),
             ENTERPRISE_APPLICANT, subject="enterprise", license_name="烟草专卖零售许可证",
             keywords=("便利店", "烟草", "一业一证")),
    # 民政
    ItemSpec(code("07", "civil_affairs", 1), "内地居民结婚登记", "civil_affairs", XH, 1, 1, 1,
             "男女双方达到法定婚龄、均无配偶，共同到婚姻登记机关申请。",
             "《中华人民共和国民法典》第一千零四十九条；《婚姻登记条例》第四条",
             (ID_CARD, HUKOU, Material("本人无配偶以及与对方当事人没有直系血亲和三代以内旁系血亲关系的签字声明", "upload")),
             (*APPLICANT, ("spouse_name", "对方姓名", "text", ""), ("spouse_id_number", "对方公民身份号码", "id_number", "")),
             channels=("window",), cross_province=True, license_name="结婚证", keywords=("结婚", "婚姻登记")),
    ItemSpec(code("20", "civil_affairs", 1), "婚姻登记记录证明", "civil_affairs", XH, 5, 1, 0,
             "需要证明本人婚姻登记情况的居民。", "《婚姻登记档案管理办法》第十八条",
             (ID_CARD, Material("婚姻登记记录", "shared", MARRIAGE)),
             APPLICANT, cross_province=True, keywords=("婚姻", "证明", "单身证明")),
    ItemSpec(code("05", "civil_affairs", 1), "最低生活保障待遇申请", "civil_affairs", XH, 30, 20, 0,
             "共同生活的家庭成员人均收入低于当地最低生活保障标准，且家庭财产符合规定。",
             "《社会救助暂行办法》第九条",
             (ID_CARD, HUKOU, Material("家庭收入情况声明", "upload"),
              Material("家庭成员不动产情况", "shared", ESTATE), Material("家庭成员社保缴费情况", "shared", SOCIAL)),
             (*APPLICANT, ("family_size", "共同生活家庭人口", "text", "")), keywords=("低保", "救助")),
    # 人社
    ItemSpec(code("05", "human_resources", 1), "失业保险金申领", "human_resources", XH, 10, 3, 0,
             "非因本人意愿中断就业、已办理失业登记、有求职要求，失业前缴纳失业保险满一年。",
             "《失业保险条例》第十四条",
             (ID_CARD, Material("参保缴费记录", "shared", SOCIAL), Material("解除劳动合同证明", "upload")),
             APPLICANT, keywords=("失业", "失业金")),
    ItemSpec(code("20", "human_resources", 3), "养老保险关系转移接续", "human_resources", XH, 15, 10, 0,
             "跨省流动就业的参保人员转移基本养老保险关系。",
             "《城镇企业职工基本养老保险关系转移接续暂行办法》第五条",
             (ID_CARD, Material("参保缴费凭证", "shared", SOCIAL)),
             (*APPLICANT, ("from_province", "转出地", "text", "")),
             any_window=True, cross_province=True, keywords=("社保转移", "养老", "跨省")),
    # 医保
    ItemSpec(code("20", "medical_insurance", 2), "异地就医备案", "medical_insurance", XH, 1, 1, 0,
             "参加本市基本医疗保险、需在外省就医的人员。", "《关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知》（医保发〔2022〕22号）",
             (ID_CARD, Material("参保信息", "shared", SOCIAL)),
             (*APPLICANT, ("destination", "就医地", "text", "")),
             channels=("online", "window", "terminal"), cross_province=True, keywords=("异地就医", "医保", "跨省")),
    # 公安
    ItemSpec(code("07", "public_security", 2), "居住证办理", "public_security", XH, 15, 7, 1,
             "离开常住户口所在地，在本市居住半年以上，有合法稳定就业、住所或连续就读之一。",
             "《居住证暂行条例》第二条",
             (ID_CARD, Material("居住证明（租赁合同等）", "upload"), Material("本人近期免冠证件照", "upload")),
             APPLICANT, channels=("online", "window", "terminal"), license_name="居住证", keywords=("居住证", "暂住")),
    ItemSpec(code("07", "public_security", 3), "户口迁移（迁入）", "public_security", XH, 20, 10, 0,
             "符合本市落户条件的人员。", "《中华人民共和国户口登记条例》第十条",
             (ID_CARD, HUKOU, Material("房屋产权证明", "shared", ESTATE), Material("落户条件证明", "upload")),
             APPLICANT, cross_province=True, keywords=("落户", "迁户口", "跨省")),
    # 不动产
    ItemSpec(code("07", "real_estate", 1), "存量房转移登记", "real_estate", XH, 30, 5, 1,
             "买卖、赠与、继承等原因发生房屋所有权转移的当事人。", "《不动产登记暂行条例》第十四条",
             (ID_CARD, Material("不动产权证书", "shared", ESTATE), Material("婚姻状况证明", "shared", MARRIAGE),
              Material("房屋买卖合同", "upload"), Material("完税凭证", "upload")),
             (*APPLICANT, ("location", "不动产坐落", "text", f"{ESTATE}.location")),
             fee_fen=8_000, license_name="不动产权证书", keywords=("过户", "二手房", "不动产")),
    ItemSpec(code("20", "real_estate", 1), "不动产登记资料查询", "real_estate", XH, 1, 1, 0,
             "不动产权利人、利害关系人查询不动产登记资料。", "《不动产登记资料查询暂行办法》第四条",
             (ID_CARD, Material("不动产登记信息", "shared", ESTATE)),
             APPLICANT, channels=("online", "window", "terminal"), keywords=("查档", "不动产", "房产证明")),
    # 住建、交通、城管、教育
    ItemSpec(code("01", "housing", 1), "建筑工程施工许可证核发", "housing", XH, 7, 5, 0,
             "在本区内从事各类房屋建筑及其附属设施建造、装修装饰的建设单位。",
             "《中华人民共和国建筑法》第七条；《建筑工程施工许可管理办法》",
             (REG, Material("建设工程规划许可证", "upload"), Material("施工合同", "upload"),
              Material("施工图审查合格书", "upload")),
             (*ENTERPRISE_APPLICANT, ("project_name", "工程名称", "text", "")),
             subject="enterprise", license_name="建筑工程施工许可证", keywords=("施工许可", "建设工程")),
    ItemSpec(code("01", "transport", 1), "道路货物运输经营许可", "transport", HZ, 20, 10, 1,
             "从事道路普通货物运输经营的企业。", "《中华人民共和国道路运输条例》第二十四条",
             (REG, Material("车辆行驶证", "upload"), Material("驾驶人员从业资格证", "upload"),
              Material("安全生产管理制度", "upload")),
             ENTERPRISE_APPLICANT, subject="enterprise", license_name="道路运输经营许可证",
             keywords=("货运", "道路运输")),
    ItemSpec(code("01", "urban_management", 1), "城市建筑垃圾处置核准", "urban_management", XH, 20, 5, 0,
             "处置建筑垃圾的施工单位。", "《城市建筑垃圾管理规定》第七条",
             (REG, Material("建筑垃圾处置方案", "upload"), Material("运输合同", "upload")),
             ENTERPRISE_APPLICANT, subject="enterprise", keywords=("渣土", "建筑垃圾")),
    ItemSpec(code("20", "education", 1), "义务教育入学报名", "education", XH, 10, 5, 0,
             "本区户籍或符合条件的随迁子女，适龄入读小学、初中。",
             "《中华人民共和国义务教育法》第十二条",
             (HUKOU, Material("房屋产权证明", "shared", ESTATE), Material("出生医学证明", "elicense", code("20", "health", 1))),
             (*APPLICANT, ("child_name", "学生姓名", "text", ""), ("school", "意向学校", "text", "")),
             keywords=("入学", "小学", "报名")),
)
# fmt: on


def spec(item_code: str) -> ItemSpec | None:
    return next((i for i in ITEMS if i.code == item_code), None)
