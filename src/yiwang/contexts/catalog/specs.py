"""The demo city's shared data resources (政务信息资源目录 entries), as data.

Each spec names its provider department kind, its fields with sensitivity (1 public …
4 highly sensitive) and whether a field is personal data, its share type with the legal
basis, and the source table (owned by the exchange context) it is served from.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    data_type: str  # string | date | integer | money | id_number | credit_code | code
    sensitivity: int = 1
    personal: bool = False
    description: str = ""


@dataclass(frozen=True)
class ResourceSpec:
    code: str
    name: str
    provider_kind: str
    description: str
    subject_category: str
    update_frequency: str
    share_type: str  # unconditional | conditional | none
    share_basis: str
    open_type: str  # none | conditional | unconditional
    source_table: str
    key_field: str
    subject: str  # person | enterprise
    tags: tuple[str, ...] = ()
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)


ID = FieldSpec("id_number", "公民身份号码", "id_number", 4, True, "GB 11643 十八位居民身份证号码")
NAME = FieldSpec("name", "姓名", "string", 3, True)

# fmt: off
RESOURCES: tuple[ResourceSpec, ...] = (
    ResourceSpec(
        "330100-GA-0001",
        "户籍人口信息",
        "public_security",
        "全市常住户籍人口的基本身份信息，来源于公安人口管理系统。",
        "基础信息资源/人口",
        "实时",
        "conditional",
        "《中华人民共和国居民身份证法》第十三条、第二十条",
        "none",
        "src_household",
        "id_number",
        "person",
        ("人口", "户籍", "身份"),
        (
            ID,
            NAME,
            FieldSpec("gender", "性别", "code", 2, True),
            FieldSpec("birth_date", "出生日期", "date", 3, True),
            FieldSpec("ethnicity", "民族", "string", 3, True),
            FieldSpec("household_no", "户号", "string", 3, True),
            FieldSpec("relation", "与户主关系", "string", 2, True),
            FieldSpec("address", "户籍地址", "string", 3, True),
            FieldSpec("region_code", "所属社区代码", "code", 1),
        ),
    ),
    ResourceSpec(
        "330100-MZ-0001",
        "婚姻登记信息",
        "civil_affairs",
        "结婚、离婚登记结果，用于办理户籍、公积金、不动产等事项时免交结婚证。",
        "主题信息资源/婚姻",
        "每日",
        "conditional",
        "《婚姻登记条例》；《政务信息资源共享管理暂行办法》第九条",
        "none",
        "src_marriage",
        "id_number",
        "person",
        ("婚姻", "结婚证", "民政"),
        (
            ID,
            NAME,
            FieldSpec("marital_status", "婚姻状况", "code", 3, True, "未婚 / 已婚 / 离婚 / 丧偶"),
            FieldSpec("spouse_name", "配偶姓名", "string", 3, True),
            FieldSpec("spouse_id_number", "配偶身份号码", "id_number", 4, True),
            FieldSpec("registered_on", "登记日期", "date", 2, True),
            FieldSpec("certificate_no", "结婚证字号", "string", 3, True),
            FieldSpec("registry_office", "登记机关", "string", 1),
            FieldSpec("region_code", "所属社区代码", "code", 1),
        ),
    ),
    ResourceSpec(
        "330100-RS-0001",
        "社保参保信息",
        "human_resources",
        "职工基本养老保险参保及缴费状态。",
        "主题信息资源/社会保障",
        "每月",
        "conditional",
        "《中华人民共和国社会保险法》第八十一条",
        "none",
        "src_social_insurance",
        "id_number",
        "person",
        ("社保", "参保", "养老"),
        (
            ID,
            NAME,
            FieldSpec("insurance_type", "险种", "code", 1),
            FieldSpec("status", "参保状态", "code", 2, True),
            FieldSpec("start_date", "参保日期", "date", 2, True),
            FieldSpec("employer_name", "参保单位", "string", 2),
            FieldSpec("employer_credit_code", "单位统一社会信用代码", "credit_code", 1),
            FieldSpec("monthly_base_fen", "缴费基数（分）", "money", 4, True),
            FieldSpec("region_code", "所属社区代码", "code", 1),
        ),
    ),
    ResourceSpec(
        "330100-WJ-0001",
        "出生医学证明",
        "health",
        "新生儿出生医学证明签发信息，出生一件事联办的基础数据。",
        "主题信息资源/卫生健康",
        "实时",
        "conditional",
        "《中华人民共和国母婴保健法》第二十三条",
        "none",
        "src_birth_certificate",
        "id_number",
        "person",
        ("出生", "出生医学证明", "一件事"),
        (
            FieldSpec("id_number", "新生儿身份号码", "id_number", 4, True),
            FieldSpec("child_name", "新生儿姓名", "string", 3, True),
            FieldSpec("gender", "性别", "code", 2, True),
            FieldSpec("birth_date", "出生日期", "date", 3, True),
            FieldSpec("certificate_no", "证明编号", "string", 3, True),
            FieldSpec("hospital", "接生机构", "string", 1),
            FieldSpec("mother_name", "母亲姓名", "string", 3, True),
            FieldSpec("mother_id_number", "母亲身份号码", "id_number", 4, True),
            FieldSpec("father_name", "父亲姓名", "string", 3, True),
            FieldSpec("region_code", "所属社区代码", "code", 1),
        ),
    ),
    ResourceSpec(
        "330100-SJ-0001",
        "企业登记信息",
        "market_regulation",
        "市场主体登记注册信息（营业执照信息）。",
        "基础信息资源/法人",
        "实时",
        "unconditional",
        "《企业信息公示暂行条例》第六条",
        "unconditional",
        "src_enterprise_registration",
        "credit_code",
        "enterprise",
        ("企业", "营业执照", "法人"),
        (
            FieldSpec("credit_code", "统一社会信用代码", "credit_code", 1),
            FieldSpec("name", "企业名称", "string", 1),
            FieldSpec("legal_rep_name", "法定代表人", "string", 2),
            FieldSpec("registered_capital_fen", "注册资本（分）", "money", 1),
            FieldSpec("established_on", "成立日期", "date", 1),
            FieldSpec("address", "住所", "string", 1),
            FieldSpec("industry_code", "行业代码", "code", 1),
            FieldSpec("status", "登记状态", "code", 1),
            FieldSpec("region_code", "登记机关区划", "code", 1),
        ),
    ),
    ResourceSpec(
        "330100-SW-0001",
        "纳税信用等级",
        "taxation",
        "纳税人年度纳税信用评价结果（A、B、M、C、D）。",
        "主题信息资源/信用",
        "每年",
        "unconditional",
        "《纳税信用管理办法》第三十条（A级结果主动公开）",
        "conditional",
        "src_tax_credit",
        "credit_code",
        "enterprise",
        ("纳税", "信用", "税务"),
        (
            FieldSpec("credit_code", "统一社会信用代码", "credit_code", 1),
            FieldSpec("name", "纳税人名称", "string", 1),
            FieldSpec("year", "评价年度", "integer", 1),
            FieldSpec("grade", "信用等级", "code", 2),
            FieldSpec("region_code", "主管税务机关区划", "code", 1),
        ),
    ),
    ResourceSpec(
        "330100-BDC-0001",
        "不动产登记信息",
        "real_estate",
        "不动产权属登记结果。依法查询需有法定事由，面向本人和依法授权部门。",
        "主题信息资源/自然资源",
        "实时",
        "none",
        "《不动产登记暂行条例》第二十七条：权利人、利害关系人可以依法查询；不作为无条件或有条件共享",
        "none",
        "src_real_estate",
        "id_number",
        "person",
        ("不动产", "房产"),
        (
            FieldSpec("id_number", "权利人身份号码", "id_number", 4, True),
            FieldSpec("owner_name", "权利人", "string", 3, True),
            FieldSpec("certificate_no", "不动产权证号", "string", 3, True),
            FieldSpec("location", "坐落", "string", 3, True),
            FieldSpec("area_centi_m2", "建筑面积（0.01平方米）", "integer", 2, True),
            FieldSpec("usage", "用途", "code", 1),
            FieldSpec("registered_on", "登记日期", "date", 2, True),
            FieldSpec("region_code", "所属社区代码", "code", 1),
        ),
    ),
)
# fmt: on
