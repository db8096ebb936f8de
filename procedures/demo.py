"""The demo procedure catalog of Hà Nội: ``seed_catalog()``.

Safe to run again: each procedure is matched by its code and brought in line
with the definition below through ``services.procedure_sync``; a run that
changes nothing writes no revision. The handlers named here ("birth",
"residence", "health_insurance") are registered by code written elsewhere:
the seed only stores their names and never asks the handler registry.

Codes: the national codes (from the national public-service portal,
dichvucong.gov.vn) are used where they are certain: 1.001193, 1.000656,
1.000894, 2.000815, 1.004194, 2.000488. Every other procedure has a clearly
local code ``HN.<field>.<nn>`` (Hà Nội), to be replaced by the national code
once checked against the national catalog.

Times and fees: the legal time limit is the counter's. Where the online time
or fee is lower than the counter's without a national rule saying so, it is
the city's incentive for online filing (the 2016 interview: e.g. 10 working
days online against 15 at the counter) and is marked "incentive" below. The
residence fees (10,000/20,000 and 7,000/15,000 VND) and the free online
enterprise registration are national rules (Circular 75/2022/TT-BTC,
Circular 47/2019/TT-BTC).

Agencies: ward procedures are offered by the demo ward agencies of the kind
that decides them (UBLB and UBBD for the People's Committee, CALB for the
police, BHXHLB for social insurance); city procedures by the Department of
Justice (STP), the Department of Science and Technology (SKHCN) or, for the
departments the demo does not have, the Office of the City People's Committee
(VPUB), which stands for the city's public administration service centre.
Agencies that do not exist yet are skipped.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from citizens.models import Agency
from procedures import services
from procedures.models import Field, FormField, Procedure

FIELDS = [
    ("civil-status", "Hộ tịch", "Civil status"),
    ("residence", "Cư trú", "Residence"),
    ("health-insurance", "Bảo hiểm y tế", "Health insurance"),
    ("certification", "Chứng thực", "Certification of copies and signatures"),
    ("business", "Kinh doanh", "Business registration"),
    ("construction", "Xây dựng", "Construction"),
    ("judicial-records", "Tư pháp", "Justice and judicial records"),
    ("land", "Đất đai", "Land"),
    ("labour", "Lao động, việc làm", "Labour and employment"),
    ("health", "Y tế", "Health"),
    ("information", "Thông tin điện tử", "Electronic information"),
]

WARD_PC = ["UBLB", "UBBD"]
CITY_ONE_STOP = ["VPUB"]

Kind = FormField.Kind
PC = Agency.Kind.PEOPLES_COMMITTEE
POLICE = Agency.Kind.POLICE
SI = Agency.Kind.SOCIAL_INSURANCE
DEPT = Agency.Kind.DEPARTMENT
FULL = Procedure.OnlineLevel.FULL
PARTIAL = Procedure.OnlineLevel.PARTIAL
COMMUNE = Procedure.Level.COMMUNE
CITY = Procedure.Level.CITY


def doc(
    name: str,
    name_en: str,
    *,
    originals: int = 1,
    copies: int = 0,
    mandatory: bool = True,
    wallet: str = "",
) -> dict[str, Any]:
    return {
        "name": name,
        "name_en": name_en,
        "originals": originals,
        "copies": copies,
        "mandatory": mandatory,
        "wallet_kind": wallet,
    }


def ask(
    key: str,
    kind: str,
    label: str,
    label_en: str,
    *,
    page: int = 1,
    required: bool = True,
    hint: str = "",
    hint_en: str = "",
    choices: list[str] | None = None,
    min_value: int | None = None,
    max_value: int | None = None,
    max_length: int | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "label": label,
        "label_en": label_en,
        "help_text": hint,
        "help_text_en": hint_en,
        "required": required,
        "choices": "\n".join(choices or []),
        "min_value": min_value,
        "max_value": max_value,
        "max_length": max_length,
        "page": page,
    }


FORM_DECLARATION = "Tờ khai theo mẫu"

CATALOG: list[dict[str, Any]] = [
    # --- Ward / commune level ------------------------------------------------------
    {
        "code": "1.001193",
        "name": "Đăng ký khai sinh",
        "name_en": "Birth registration",
        "field": "civil-status",
        "level": COMMUNE,
        "agency_kind": PC,
        "offered_by": WARD_PC,
        "online_level": FULL,
        "handler": "birth",
        "identity_level": 1,
        # Registered the same working day the dossier is complete (0 days);
        # free when registered within 60 days of the birth (Law on Civil Status
        # 2014 art. 11); a late registration costs the city's civil-status fee
        # (Hà Nội People's Council resolution on fees: 8,000 đồng at a ward).
        "days_online": 0,
        "days_counter": 0,
        "fee_online": 0,
        "fee_counter": 0,
        "fee_late": 8000,
        "summary": (
            "Đăng ký việc sinh cho trẻ em tại Ủy ban nhân dân cấp xã nơi cư trú của cha hoặc mẹ. "
            "Khi nộp trực tuyến, hồ sơ được liên thông để cấp số định danh cá nhân, đăng ký "
            "thường trú và cấp thẻ bảo hiểm y tế cho trẻ dưới 6 tuổi."
        ),
        "summary_en": (
            "Registers a child's birth at the ward or commune People's Committee where the "
            "father or mother lives. Filed online, the dossier also gives the child a personal "
            "ID number, registers permanent residence and issues the health-insurance card for "
            "children under 6."
        ),
        "conditions": (
            "Cha, mẹ có trách nhiệm đăng ký khai sinh cho con trong thời hạn 60 ngày kể từ ngày "
            "sinh; nếu cha, mẹ không thể đăng ký thì ông, bà, người thân thích khác hoặc cá nhân, "
            "tổ chức đang nuôi dưỡng trẻ em đăng ký và nêu lý do. Trẻ sinh ngoài cơ sở y tế: "
            "thay giấy chứng sinh bằng văn bản xác nhận của người làm chứng hoặc giấy cam đoan "
            "về việc sinh. Đăng ký quá hạn (sau 60 ngày): nêu lý do, cam đoan việc sinh chưa "
            "được đăng ký ở đâu và, nếu không có giấy chứng sinh, nộp giấy tờ chứng minh việc "
            "sinh. Chưa xác định được cha: phần ghi về cha để trống. Sinh đôi, sinh ba: mỗi trẻ "
            "một hồ sơ, ghi thứ tự sinh và mã hồ sơ của trẻ sinh cùng lần. Cha hoặc mẹ không có "
            "trong cơ sở dữ liệu dân cư (ví dụ người nước ngoài): ghi họ tên, năm sinh, quốc "
            "tịch, nơi cư trú. Trẻ nhập hộ của người khác (ví dụ hộ ông bà): cần chủ hộ đồng ý. "
            "Đăng ký đúng hạn được miễn lệ phí."
        ),
        "conditions_en": (
            "The father or mother registers the birth within 60 days; if they cannot, a "
            "grandparent, another relative or the person or organisation caring for the child "
            "does and says why. A birth outside a hospital: a witness's written statement or a "
            "written commitment instead of the hospital birth certificate. Late registration "
            "(after 60 days): the reason, a commitment that the birth was never registered "
            "and, without a hospital certificate, a document proving the birth. Father "
            "unknown: the father's section stays empty. Twins and triplets: one dossier per "
            "child, with the birth order and the dossier code of the sibling of the same birth. "
            "A parent not in the population database (e.g. a foreign national): name, year of "
            "birth, nationality and residence. A child joining someone else's household (e.g. "
            "the grandparents'): the head of household must consent. Registration on time is "
            "free."
        ),
        "legal_basis": (
            "Luật Hộ tịch 2014 (Điều 13–17); Nghị định 123/2015/NĐ-CP; "
            "Thông tư 04/2020/TT-BTP; Nghị định 63/2024/NĐ-CP (liên thông)."
        ),
        "result_document": "Giấy khai sinh (bản chính, bản điện tử)",
        "result_document_en": "Birth certificate (original and electronic copy)",
        "documents": [
            doc("Tờ khai đăng ký khai sinh", "Birth registration declaration"),
            doc(
                # Optional as a document: a birth outside a hospital is declared
                # with a witness statement or a written commitment instead, which
                # the birth handler's evidence question asks for.
                "Giấy chứng sinh (hoặc văn bản của người làm chứng / giấy cam đoan)",
                "Hospital birth notice (or a witness statement / written commitment)",
                mandatory=False,
                wallet="hospital_birth_notice",
            ),
            doc(
                "Giấy chứng nhận kết hôn của cha mẹ",
                "Parents' marriage certificate",
                originals=0,
                copies=1,
                mandatory=False,
                wallet="marriage_certificate",
            ),
            doc(
                "Văn bản ủy quyền (nếu người khác đi đăng ký)",
                "Power of attorney (if someone else registers)",
                mandatory=False,
            ),
        ],
        "questions": [],
    },
    {
        "code": "1.000656",
        "name": "Đăng ký khai tử",
        "name_en": "Death registration",
        "field": "civil-status",
        "level": COMMUNE,
        "agency_kind": PC,
        "offered_by": WARD_PC,
        "online_level": FULL,
        "handler": "form",
        "identity_level": 1,
        # The same day; up to 3 working days when the facts must be verified.
        "days_online": 2,  # incentive
        "days_counter": 3,
        "fee_online": 0,
        "fee_counter": 0,
        "summary": (
            "Đăng ký việc chết của một người tại Ủy ban nhân dân cấp xã nơi cư trú cuối cùng của "
            "người chết. Người chết được ghi nhận trong cơ sở dữ liệu dân cư."
        ),
        "summary_en": (
            "Registers a death at the People's Committee of the ward or commune where the "
            "deceased last lived; the population database records the death."
        ),
        "conditions": (
            "Trong thời hạn 15 ngày kể từ ngày có người chết, vợ, chồng hoặc con, cha, mẹ hoặc "
            "người thân thích khác của người chết có trách nhiệm đi đăng ký khai tử. "
            "Đăng ký đúng hạn được miễn lệ phí."
        ),
        "conditions_en": (
            "Within 15 days of the death, the spouse, a child, a parent or another relative "
            "registers it. Registration on time is free."
        ),
        "legal_basis": "Luật Hộ tịch 2014 (Điều 32–34); Nghị định 123/2015/NĐ-CP.",
        "result_document": "Trích lục khai tử",
        "result_document_en": "Death registration extract",
        "documents": [
            doc("Tờ khai đăng ký khai tử", "Death registration declaration"),
            doc(
                "Giấy báo tử hoặc giấy tờ thay thế giấy báo tử",
                "Death notice or a document in its place",
                wallet="death_notice",
            ),
        ],
        "questions": [
            ask(
                "deceased_id_number",
                Kind.ID_NUMBER,
                "Số định danh cá nhân của người chết",
                "Personal ID number of the deceased",
            ),
            ask(
                "deceased_name",
                Kind.TEXT,
                "Họ và tên người chết",
                "Full name of the deceased",
                max_length=150,
            ),
            ask("date_of_death", Kind.DATE, "Ngày chết", "Date of death"),
            ask("place_of_death", Kind.TEXT, "Nơi chết", "Place of death", max_length=255),
            ask(
                "cause_of_death",
                Kind.CHOICE,
                "Nguyên nhân chết",
                "Cause of death",
                page=2,
                required=False,
                choices=["Bệnh", "Già yếu", "Tai nạn", "Khác"],
            ),
            ask(
                "relation",
                Kind.CHOICE,
                "Quan hệ của người đi khai tử với người chết",
                "Your relation to the deceased",
                page=2,
                choices=["Vợ/chồng", "Con", "Cha/mẹ", "Anh/chị/em", "Người thân thích khác"],
            ),
        ],
    },
    {
        "code": "1.000894",
        "name": "Đăng ký kết hôn",
        "name_en": "Marriage registration",
        "field": "civil-status",
        "level": COMMUNE,
        "agency_kind": PC,
        "offered_by": WARD_PC,
        "online_level": PARTIAL,  # both partners sign the register in person
        "handler": "form",
        "identity_level": 2,
        # At once when complete; up to 5 working days when verification is needed.
        "days_online": 3,  # incentive
        "days_counter": 5,
        "fee_online": 0,
        "fee_counter": 0,
        "summary": (
            "Đăng ký kết hôn giữa công dân Việt Nam với nhau tại Ủy ban nhân dân cấp xã nơi cư "
            "trú của một trong hai bên. Hai bên cùng có mặt khi trao Giấy chứng nhận kết hôn."
        ),
        "summary_en": (
            "Registers a marriage between two Vietnamese citizens at the People's Committee of "
            "the ward or commune where one of them lives. Both attend when the certificate is "
            "handed over."
        ),
        "conditions": (
            "Nam từ đủ 20 tuổi, nữ từ đủ 18 tuổi; việc kết hôn do hai bên tự nguyện quyết định; "
            "không bị mất năng lực hành vi dân sự; không thuộc các trường hợp cấm kết hôn."
        ),
        "conditions_en": (
            "The man is at least 20 and the woman at least 18; both decide freely; neither has "
            "lost legal capacity; the marriage is not prohibited by law."
        ),
        "legal_basis": (
            "Luật Hôn nhân và gia đình 2014 (Điều 8); Luật Hộ tịch 2014 (Điều 17–18); "
            "Nghị định 123/2015/NĐ-CP."
        ),
        "result_document": "Giấy chứng nhận kết hôn",
        "result_document_en": "Marriage certificate",
        "documents": [
            doc("Tờ khai đăng ký kết hôn", "Marriage registration declaration"),
            doc(
                "Giấy xác nhận tình trạng hôn nhân (nếu đăng ký tại nơi không thường trú)",
                "Certificate of marital status (if registering away from permanent residence)",
                mandatory=False,
                wallet="marital_status_certificate",
            ),
        ],
        "questions": [
            ask(
                "partner_id_number",
                Kind.ID_NUMBER,
                "Số định danh cá nhân của bên kia",
                "Personal ID number of your partner",
            ),
            ask(
                "partner_name",
                Kind.TEXT,
                "Họ và tên bên kia",
                "Full name of your partner",
                max_length=150,
            ),
            ask(
                "partner_birth_date",
                Kind.DATE,
                "Ngày sinh của bên kia",
                "Your partner's date of birth",
            ),
            ask(
                "first_marriage",
                Kind.YES_NO,
                "Đây là lần kết hôn đầu tiên của cả hai bên?",
                "Is this the first marriage for both of you?",
                page=2,
            ),
            ask(
                "ceremony_date",
                Kind.DATE,
                "Ngày mong muốn nhận Giấy chứng nhận kết hôn",
                "Preferred date to receive the certificate",
                page=2,
                required=False,
                hint="Hai bên cùng có mặt tại Ủy ban nhân dân cấp xã.",
                hint_en="Both of you attend at the People's Committee.",
            ),
        ],
    },
    {
        "code": "2.000815",
        "name": (
            "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm quyền "
            "của Việt Nam cấp hoặc chứng nhận"
        ),
        "name_en": "Certifying copies of Vietnamese documents from their originals",
        "field": "certification",
        "level": COMMUNE,
        "agency_kind": PC,
        "offered_by": WARD_PC,
        "online_level": PARTIAL,  # the original must be shown
        "handler": "form",
        "identity_level": 1,
        # The same working day (the next one when received after 15:00).
        "days_online": 0,
        "days_counter": 0,
        # 2,000 VND a page for pages 1-2, 1,000 from page 3, at most 200,000 a copy.
        "fee_online": 2000,
        "fee_counter": 2000,
        "summary": (
            "Chứng thực bản sao là đúng với bản chính giấy tờ, văn bản do cơ quan, tổ chức có "
            "thẩm quyền của Việt Nam cấp hoặc chứng nhận."
        ),
        "summary_en": (
            "Certifies that copies match the original of a document issued or certified by a "
            "Vietnamese authority."
        ),
        "conditions": (
            "Bản chính không bị tẩy xóa, sửa chữa, thêm, bớt nội dung không hợp lệ; không bị hư "
            "hỏng, cũ nát không xác định được nội dung. Phí: 2.000 đồng/trang cho trang thứ nhất "
            "và thứ hai, 1.000 đồng/trang từ trang thứ ba, tối đa 200.000 đồng/bản."
        ),
        "conditions_en": (
            "The original has no erasures or unlawful alterations and is legible. Fee: 2,000 "
            "VND a page for the first two pages, 1,000 VND a page after, at most 200,000 VND a "
            "copy."
        ),
        "legal_basis": "Nghị định 23/2015/NĐ-CP; Thông tư 226/2016/TT-BTC.",
        "result_document": "Bản sao được chứng thực từ bản chính",
        "result_document_en": "Certified copy",
        "documents": [
            doc("Bản chính giấy tờ, văn bản cần chứng thực", "The original document"),
            doc(
                "Bản sao cần chứng thực (nếu tự mang theo)",
                "The copies to certify (if you bring your own)",
                originals=0,
                copies=1,
                mandatory=False,
            ),
        ],
        "questions": [
            ask(
                "document_title",
                Kind.TEXT,
                "Tên giấy tờ cần chứng thực",
                "Name of the document to certify",
                max_length=200,
            ),
            ask(
                "page_count",
                Kind.NUMBER,
                "Số trang của giấy tờ",
                "Number of pages",
                min_value=1,
                max_value=200,
            ),
            ask(
                "copy_count",
                Kind.NUMBER,
                "Số bản sao cần chứng thực",
                "Number of copies",
                min_value=1,
                max_value=50,
            ),
            ask(
                "pickup",
                Kind.CHOICE,
                "Cách nhận kết quả",
                "How you collect the result",
                choices=["Nhận tại bộ phận một cửa", "Nhận qua dịch vụ bưu chính"],
            ),
        ],
    },
    {
        "code": "1.004194",
        "name": "Đăng ký thường trú",
        "name_en": "Permanent residence registration",
        "field": "residence",
        "level": COMMUNE,
        "agency_kind": POLICE,
        "offered_by": ["CALB"],
        "online_level": FULL,
        "handler": "residence",
        "identity_level": 2,
        "days_online": 7,
        "days_counter": 7,
        "fee_online": 10000,  # Circular 75/2022/TT-BTC: half the fee online
        "fee_counter": 20000,
        "summary": (
            "Đăng ký nơi thường trú tại cơ quan đăng ký cư trú (Công an cấp xã) nơi công dân có "
            "chỗ ở hợp pháp."
        ),
        "summary_en": (
            "Registers a citizen's permanent residence with the residence registration "
            "authority (the ward or commune police) where they have a lawful home."
        ),
        "conditions": (
            "Có chỗ ở hợp pháp thuộc sở hữu của mình, hoặc được chủ hộ, chủ sở hữu chỗ ở hợp "
            "pháp đồng ý cho đăng ký thường trú (vợ về ở với chồng, con về ở với cha mẹ...)."
        ),
        "conditions_en": (
            "You own a lawful home, or the head of household and the owner of a lawful home "
            "agree (e.g. a spouse or a child joining the family)."
        ),
        "legal_basis": (
            "Luật Cư trú 2020 (Điều 20–22); Nghị định 154/2024/NĐ-CP; "
            "Thông tư 55/2021/TT-BCA; Thông tư 75/2022/TT-BTC (lệ phí)."
        ),
        "result_document": "Thông báo kết quả đăng ký thường trú",
        "result_document_en": "Notice of permanent residence registration",
        "documents": [
            doc(
                "Tờ khai thay đổi thông tin cư trú (mẫu CT01)",
                "Residence information change form (CT01)",
            ),
            doc(
                "Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp",
                "Proof of a lawful home",
                originals=0,
                copies=1,
                wallet="property_certificate",
            ),
            doc(
                "Giấy tờ chứng minh quan hệ nhân thân với chủ hộ (nếu có)",
                "Proof of family relation with the head of household (if any)",
                originals=0,
                copies=1,
                mandatory=False,
                wallet="birth_certificate",
            ),
        ],
        "questions": [],
    },
    {
        "code": "HN.CA.01",  # local code: national code not verified
        "name": "Đăng ký tạm trú",
        "name_en": "Temporary residence registration",
        "field": "residence",
        "level": COMMUNE,
        "agency_kind": POLICE,
        "offered_by": ["CALB"],
        "online_level": FULL,
        "handler": "form",
        "identity_level": 1,
        "days_online": 3,
        "days_counter": 3,
        "fee_online": 7000,  # Circular 75/2022/TT-BTC
        "fee_counter": 15000,
        "summary": (
            "Đăng ký tạm trú khi đến sinh sống tại chỗ ở hợp pháp ngoài phạm vi đơn vị hành "
            "chính cấp xã nơi đã đăng ký thường trú để lao động, học tập hoặc vì mục đích khác "
            "từ 30 ngày trở lên."
        ),
        "summary_en": (
            "Registers temporary residence when you live for 30 days or more at a lawful home "
            "outside the ward or commune of your permanent residence (work, study, ...)."
        ),
        "conditions": "Có chỗ ở hợp pháp; thời hạn tạm trú tối đa 02 năm và có thể gia hạn.",
        "conditions_en": "A lawful home; temporary residence lasts up to 2 years, renewable.",
        "legal_basis": (
            "Luật Cư trú 2020 (Điều 27–28); Nghị định 154/2024/NĐ-CP; Thông tư 55/2021/TT-BCA."
        ),
        "result_document": "Thông báo kết quả đăng ký tạm trú",
        "result_document_en": "Notice of temporary residence registration",
        "documents": [
            doc(
                "Tờ khai thay đổi thông tin cư trú (mẫu CT01)",
                "Residence information change form (CT01)",
            ),
            doc(
                "Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp (hợp đồng thuê nhà...)",
                "Proof of a lawful home (tenancy agreement, ...)",
                originals=0,
                copies=1,
                wallet="tenancy_agreement",
            ),
        ],
        "questions": [
            ask("address", Kind.ADDRESS, "Địa chỉ nơi tạm trú", "Address of temporary residence"),
            ask("from_date", Kind.DATE, "Tạm trú từ ngày", "Living there since"),
            ask(
                "months",
                Kind.NUMBER,
                "Thời hạn tạm trú (tháng)",
                "Length of stay (months)",
                min_value=1,
                max_value=24,
            ),
            ask(
                "home_kind",
                Kind.CHOICE,
                "Loại chỗ ở",
                "Kind of home",
                page=2,
                choices=["Nhà thuê", "Nhà người thân", "Ký túc xá", "Khác"],
            ),
            ask(
                "host_id_number",
                Kind.ID_NUMBER,
                "Số định danh cá nhân của chủ nhà",
                "Personal ID number of the owner",
                page=2,
                required=False,
                hint="Nếu bạn thuê hoặc ở nhờ.",
                hint_en="If you rent or stay with someone.",
            ),
        ],
    },
    {
        "code": "HN.BHXH.01",  # local code: national code not verified
        "name": "Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
        "name_en": "Health-insurance card for a child under 6",
        "field": "health-insurance",
        "level": COMMUNE,
        "agency_kind": SI,
        "offered_by": ["BHXHLB"],
        "online_level": FULL,
        "handler": "health_insurance",
        "identity_level": 1,
        # Decree 63/2024: 2 working days through the interconnected online dossier.
        "days_online": 2,
        "days_counter": 5,
        "fee_online": 0,
        "fee_counter": 0,
        "summary": (
            "Cấp thẻ bảo hiểm y tế miễn phí cho trẻ em dưới 6 tuổi do ngân sách nhà nước đóng; "
            "cấp kèm khi đăng ký khai sinh liên thông."
        ),
        "summary_en": (
            "Issues the free health-insurance card of a child under 6 (paid by the state "
            "budget); issued together with an interconnected birth registration."
        ),
        "conditions": "Trẻ em dưới 6 tuổi đã được đăng ký khai sinh.",
        "conditions_en": "The child is under 6 and the birth is registered.",
        "legal_basis": (
            "Luật Bảo hiểm y tế 2008 (sửa đổi 2014, 2024); Nghị định 146/2018/NĐ-CP; "
            "Nghị định 63/2024/NĐ-CP."
        ),
        "result_document": "Thẻ bảo hiểm y tế (bản điện tử)",
        "result_document_en": "Health-insurance card (electronic)",
        "documents": [
            doc(
                "Tờ khai tham gia, điều chỉnh thông tin bảo hiểm xã hội, bảo hiểm y tế (mẫu TK1-TS)",
                "Social and health insurance enrolment form (TK1-TS)",
            ),
            doc(
                "Giấy khai sinh của trẻ",
                "The child's birth certificate",
                originals=0,
                copies=1,
                wallet="birth_certificate",
            ),
        ],
        "questions": [],
    },
    {
        "code": "HN.KD.01",  # local code: national code not verified
        "name": "Đăng ký thành lập hộ kinh doanh",
        "name_en": "Registering a household business",
        "field": "business",
        "level": COMMUNE,
        "agency_kind": PC,
        "offered_by": WARD_PC,
        "online_level": FULL,
        "handler": "form",
        "identity_level": 2,
        "days_online": 3,
        "days_counter": 3,
        "fee_online": 50000,  # incentive
        "fee_counter": 100000,
        "summary": (
            "Cấp Giấy chứng nhận đăng ký hộ kinh doanh cho cá nhân hoặc các thành viên hộ gia "
            "đình kinh doanh tại một địa điểm."
        ),
        "summary_en": (
            "Issues the registration certificate of a household business run by one person or "
            "the members of a household at one place."
        ),
        "conditions": (
            "Ngành, nghề kinh doanh không bị cấm; tên hộ kinh doanh không trùng với tên hộ kinh "
            "doanh đã đăng ký trong phạm vi cấp xã; sử dụng dưới 10 lao động."
        ),
        "conditions_en": (
            "The business line is not prohibited; the name is not used by another household "
            "business in the commune; fewer than 10 workers."
        ),
        "legal_basis": "Luật Doanh nghiệp 2020; Nghị định 168/2025/NĐ-CP về đăng ký doanh nghiệp.",
        "result_document": "Giấy chứng nhận đăng ký hộ kinh doanh",
        "result_document_en": "Household business registration certificate",
        "documents": [
            doc("Giấy đề nghị đăng ký hộ kinh doanh", "Household business registration request"),
            doc(
                "Biên bản họp thành viên hộ gia đình (nếu các thành viên cùng đăng ký)",
                "Minutes of the household members' meeting (if they register together)",
                originals=0,
                copies=1,
                mandatory=False,
            ),
        ],
        "questions": [
            ask(
                "business_name",
                Kind.TEXT,
                "Tên hộ kinh doanh",
                "Name of the business",
                max_length=100,
            ),
            ask("business_address", Kind.ADDRESS, "Địa điểm kinh doanh", "Business address"),
            ask(
                "business_line",
                Kind.TEXT,
                "Ngành, nghề kinh doanh",
                "Line of business",
                max_length=300,
            ),
            ask(
                "capital",
                Kind.NUMBER,
                "Vốn kinh doanh (triệu đồng)",
                "Capital (million VND)",
                page=2,
                min_value=1,
                max_value=100000,
            ),
            ask(
                "workers",
                Kind.NUMBER,
                "Số lao động",
                "Number of workers",
                page=2,
                min_value=0,
                max_value=9,
            ),
            ask(
                "household_members",
                Kind.YES_NO,
                "Các thành viên hộ gia đình cùng đăng ký?",
                "Do the household members register together?",
                page=2,
            ),
        ],
    },
    {
        "code": "HN.XD.01",  # local code: national code not verified
        "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "name_en": "Building permit for a detached house",
        "field": "construction",
        "level": COMMUNE,
        "agency_kind": PC,
        "offered_by": WARD_PC,
        "online_level": PARTIAL,
        "handler": "form",
        "identity_level": 2,
        "days_online": 12,  # incentive
        "days_counter": 15,
        "fee_online": 75000,
        "fee_counter": 75000,
        "summary": (
            "Cấp giấy phép xây dựng mới, sửa chữa, cải tạo nhà ở riêng lẻ của hộ gia đình, cá "
            "nhân tại khu vực đô thị."
        ),
        "summary_en": (
            "Issues the permit to build, repair or alter a household's detached house in an "
            "urban area."
        ),
        "conditions": (
            "Phù hợp với mục đích sử dụng đất và quy hoạch; bảo đảm an toàn cho công trình và "
            "công trình lân cận; thiết kế đáp ứng quy chuẩn kỹ thuật."
        ),
        "conditions_en": (
            "Consistent with the land use and the plan; safe for the building and its "
            "neighbours; the design meets the technical standards."
        ),
        "legal_basis": (
            "Luật Xây dựng 2014 (sửa đổi 2020); Nghị định 175/2024/NĐ-CP; "
            "Nghị quyết của HĐND thành phố Hà Nội về lệ phí cấp giấy phép xây dựng."
        ),
        "result_document": "Giấy phép xây dựng",
        "result_document_en": "Building permit",
        "documents": [
            doc("Đơn đề nghị cấp giấy phép xây dựng", "Building permit application"),
            doc(
                "Giấy tờ chứng minh quyền sử dụng đất",
                "Proof of land-use rights",
                originals=0,
                copies=1,
                wallet="land_use_certificate",
            ),
            doc("Bản vẽ thiết kế xây dựng", "Construction drawings", originals=2),
        ],
        "questions": [
            ask("plot_address", Kind.ADDRESS, "Địa chỉ thửa đất", "Address of the plot"),
            ask(
                "land_certificate",
                Kind.TEXT,
                "Số Giấy chứng nhận quyền sử dụng đất",
                "Number of the land-use certificate",
                max_length=30,
            ),
            ask(
                "floors",
                Kind.NUMBER,
                "Số tầng",
                "Number of floors",
                page=2,
                min_value=1,
                max_value=7,
            ),
            ask(
                "floor_area",
                Kind.NUMBER,
                "Tổng diện tích sàn (m²)",
                "Total floor area (m²)",
                page=2,
                min_value=1,
                max_value=5000,
            ),
            ask(
                "start_date",
                Kind.DATE,
                "Ngày dự kiến khởi công",
                "Planned start of work",
                page=2,
                required=False,
            ),
            ask(
                "drawings",
                Kind.FILE,
                "Bản vẽ thiết kế (PDF)",
                "Construction drawings (PDF)",
                page=3,
            ),
        ],
    },
    # --- City department level ---------------------------------------------------------
    {
        "code": "2.000488",
        "name": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú "
        "tại Việt Nam",
        "name_en": "Criminal record certificate for Vietnamese citizens and foreign residents",
        "field": "judicial-records",
        "level": CITY,
        "agency_kind": DEPT,
        "offered_by": ["STP"],
        "online_level": FULL,
        "handler": "form",
        "identity_level": 2,
        "days_online": 7,  # incentive
        "days_counter": 10,
        "fee_online": 100000,  # incentive
        "fee_counter": 200000,
        "summary": (
            "Cấp Phiếu lý lịch tư pháp số 1 hoặc số 2 xác nhận một người có hay không có án "
            "tích, có bị cấm đảm nhiệm chức vụ, thành lập, quản lý doanh nghiệp hay không."
        ),
        "summary_en": (
            "Issues criminal record certificate no. 1 or no. 2, stating whether a person has a "
            "criminal record and whether they are barred from office or from running a "
            "company."
        ),
        "conditions": (
            "Công dân Việt Nam thường trú hoặc tạm trú tại Hà Nội; người nước ngoài đã hoặc "
            "đang cư trú tại Hà Nội. Thời hạn có thể kéo dài đến 15 ngày khi cần xác minh."
        ),
        "conditions_en": (
            "Vietnamese citizens living in Hà Nội; foreigners who live or have lived in Hà Nội. "
            "Up to 15 days when facts must be verified."
        ),
        "legal_basis": (
            "Luật Lý lịch tư pháp 2009; Nghị định 111/2010/NĐ-CP; Thông tư 244/2016/TT-BTC (phí)."
        ),
        "result_document": "Phiếu lý lịch tư pháp",
        "result_document_en": "Criminal record certificate",
        "documents": [
            doc("Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "Criminal record request form"),
            doc(
                "Văn bản ủy quyền (nếu ủy quyền cho người khác)",
                "Power of attorney (if someone else files)",
                mandatory=False,
            ),
        ],
        "questions": [
            ask(
                "certificate_type",
                Kind.CHOICE,
                "Loại phiếu",
                "Kind of certificate",
                choices=["Phiếu lý lịch tư pháp số 1", "Phiếu lý lịch tư pháp số 2"],
            ),
            ask(
                "purpose",
                Kind.CHOICE,
                "Mục đích sử dụng",
                "What you need it for",
                choices=["Xin việc", "Du học", "Xuất cảnh, định cư", "Khác"],
            ),
            ask(
                "copies",
                Kind.NUMBER,
                "Số lượng phiếu",
                "Number of copies",
                min_value=1,
                max_value=10,
            ),
            ask(
                "lived_abroad",
                Kind.YES_NO,
                "Bạn đã từng cư trú ở nước ngoài?",
                "Have you lived abroad?",
                page=2,
            ),
            ask(
                "delivery",
                Kind.CHOICE,
                "Cách nhận kết quả",
                "How you receive the result",
                page=2,
                choices=["Bản điện tử", "Qua dịch vụ bưu chính", "Tại Sở Tư pháp"],
            ),
        ],
    },
    {
        "code": "HN.KD.02",  # local code: national code not verified
        "name": "Đăng ký thành lập doanh nghiệp tư nhân",
        "name_en": "Registering a sole proprietorship",
        "field": "business",
        "level": CITY,
        "agency_kind": DEPT,
        "offered_by": CITY_ONE_STOP,
        "online_level": FULL,
        "handler": "form",
        "identity_level": 2,
        "days_online": 3,
        "days_counter": 3,
        "fee_online": 0,  # Circular 47/2019/TT-BTC: free when filed online
        "fee_counter": 50000,
        "summary": (
            "Cấp Giấy chứng nhận đăng ký doanh nghiệp cho doanh nghiệp tư nhân do một cá nhân "
            "làm chủ."
        ),
        "summary_en": "Issues the registration certificate of a company owned by one person.",
        "conditions": (
            "Tên doanh nghiệp không trùng hoặc gây nhầm lẫn; ngành nghề không bị cấm; mỗi cá "
            "nhân chỉ được thành lập một doanh nghiệp tư nhân."
        ),
        "conditions_en": (
            "The name is not taken or confusing; the business is not prohibited; a person may "
            "own only one sole proprietorship."
        ),
        "legal_basis": "Luật Doanh nghiệp 2020; Nghị định 168/2025/NĐ-CP; Thông tư 47/2019/TT-BTC.",
        "result_document": "Giấy chứng nhận đăng ký doanh nghiệp",
        "result_document_en": "Enterprise registration certificate",
        "documents": [
            doc("Giấy đề nghị đăng ký doanh nghiệp", "Enterprise registration request"),
        ],
        "questions": [
            ask(
                "enterprise_name",
                Kind.TEXT,
                "Tên doanh nghiệp",
                "Name of the enterprise",
                max_length=200,
            ),
            ask("head_office", Kind.ADDRESS, "Địa chỉ trụ sở chính", "Head office address"),
            ask(
                "capital",
                Kind.NUMBER,
                "Vốn đầu tư (triệu đồng)",
                "Investment (million VND)",
                min_value=1,
                max_value=10000000,
            ),
            ask(
                "main_line",
                Kind.TEXT,
                "Mã ngành kinh tế chính",
                "Main economic sector code",
                page=2,
                max_length=10,
                hint="Theo Hệ thống ngành kinh tế Việt Nam.",
                hint_en="From the Vietnam Standard Industrial Classification.",
            ),
            ask(
                "employees",
                Kind.NUMBER,
                "Số lao động dự kiến",
                "Expected employees",
                page=2,
                min_value=0,
                max_value=100000,
                required=False,
            ),
        ],
    },
    {
        "code": "HN.DD.01",  # local code: national code not verified
        "name": (
            "Cấp đổi Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất "
            "cho tổ chức"
        ),
        "name_en": "Exchanging the land-use rights certificate of an organisation",
        "field": "land",
        "level": CITY,
        "agency_kind": DEPT,
        "offered_by": CITY_ONE_STOP,
        "online_level": PARTIAL,  # the old certificate is handed in
        "handler": "form",
        "identity_level": 2,
        "days_online": 10,  # incentive (the 2016 interview's example)
        "days_counter": 15,
        "fee_online": 50000,
        "fee_counter": 50000,
        "summary": (
            "Cấp đổi Giấy chứng nhận đã cấp bị ố, nhòe, rách, hư hỏng, hoặc do đo đạc lại, "
            "hoặc để đổi sang mẫu Giấy chứng nhận mới."
        ),
        "summary_en": (
            "Exchanges a certificate that is damaged or illegible, after a new survey, or for "
            "the new certificate form."
        ),
        "conditions": "Tổ chức đang sử dụng đất đã được cấp Giấy chứng nhận.",
        "conditions_en": "The organisation uses land it holds a certificate for.",
        "legal_basis": "Luật Đất đai 2024; Nghị định 101/2024/NĐ-CP.",
        "result_document": "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền "
        "với đất",
        "result_document_en": "Certificate of land-use rights and ownership of attached assets",
        "documents": [
            doc(
                "Đơn đăng ký biến động đất đai, tài sản gắn liền với đất",
                "Application for a change of land registration",
            ),
            doc("Bản gốc Giấy chứng nhận đã cấp", "The original certificate"),
        ],
        "questions": [
            ask(
                "certificate_number",
                Kind.TEXT,
                "Số phát hành Giấy chứng nhận",
                "Serial number of the certificate",
                max_length=30,
            ),
            ask("plot_number", Kind.NUMBER, "Số thửa", "Plot number", min_value=1),
            ask("map_sheet", Kind.NUMBER, "Số tờ bản đồ", "Map sheet number", min_value=1),
            ask(
                "reason",
                Kind.CHOICE,
                "Lý do cấp đổi",
                "Reason for the exchange",
                choices=["Bị ố, nhòe, rách, hư hỏng", "Đo đạc lại", "Đổi sang mẫu mới", "Khác"],
            ),
        ],
    },
    {
        "code": "HN.LD.01",  # local code: national code not verified
        "name": "Cấp giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam",
        "name_en": "Work permit for a foreign worker",
        "field": "labour",
        "level": CITY,
        "agency_kind": DEPT,
        "offered_by": CITY_ONE_STOP,
        "online_level": FULL,
        "handler": "form",
        "identity_level": 2,
        "days_online": 5,
        "days_counter": 5,
        "fee_online": 600000,
        "fee_counter": 600000,
        "summary": (
            "Cấp giấy phép lao động cho người nước ngoài làm việc tại doanh nghiệp, tổ chức trên "
            "địa bàn thành phố."
        ),
        "summary_en": "Issues the work permit of a foreigner working for an employer in the city.",
        "conditions": (
            "Người lao động đủ 18 tuổi, có năng lực hành vi dân sự đầy đủ, đủ sức khỏe, không "
            "đang chấp hành hình phạt; nhu cầu sử dụng lao động nước ngoài đã được chấp thuận."
        ),
        "conditions_en": (
            "The worker is 18 or older, has full legal capacity, is fit to work and is not "
            "serving a sentence; the employer's need for foreign workers has been approved."
        ),
        "legal_basis": "Bộ luật Lao động 2019 (Điều 151–157); Nghị định 219/2025/NĐ-CP.",
        "result_document": "Giấy phép lao động",
        "result_document_en": "Work permit",
        "documents": [
            doc("Văn bản đề nghị cấp giấy phép lao động", "Work permit application"),
            doc("Giấy chứng nhận sức khỏe", "Health certificate"),
            doc(
                "Phiếu lý lịch tư pháp hoặc văn bản xác nhận không phải người đang chấp hành "
                "hình phạt",
                "Criminal record certificate",
                wallet="criminal_record_certificate",
            ),
            doc(
                "Văn bản chứng minh trình độ chuyên môn",
                "Proof of qualifications",
                originals=0,
                copies=1,
            ),
            doc("Ảnh màu 4 x 6 cm", "Colour photos 4 x 6 cm", originals=2),
            doc("Bản sao hộ chiếu", "Copy of the passport", originals=0, copies=1),
        ],
        "questions": [
            ask(
                "worker_name",
                Kind.TEXT,
                "Họ và tên người lao động",
                "Worker's full name",
                max_length=150,
            ),
            ask("passport_number", Kind.TEXT, "Số hộ chiếu", "Passport number", max_length=20),
            ask("nationality", Kind.TEXT, "Quốc tịch", "Nationality", max_length=60),
            ask(
                "position",
                Kind.CHOICE,
                "Vị trí công việc",
                "Position",
                page=2,
                choices=["Nhà quản lý", "Giám đốc điều hành", "Chuyên gia", "Lao động kỹ thuật"],
            ),
            ask("start_date", Kind.DATE, "Ngày bắt đầu làm việc", "Start date", page=2),
            ask(
                "months",
                Kind.NUMBER,
                "Thời hạn làm việc (tháng)",
                "Length of work (months)",
                page=2,
                min_value=1,
                max_value=24,
            ),
        ],
    },
    {
        "code": "HN.LD.02",  # local code: national code not verified
        "name": "Giải quyết hưởng trợ cấp thất nghiệp",
        "name_en": "Claiming unemployment benefit",
        "field": "labour",
        "level": CITY,
        "agency_kind": DEPT,
        "offered_by": CITY_ONE_STOP,
        "online_level": PARTIAL,
        "handler": "form",
        "identity_level": 2,
        "days_online": 20,
        "days_counter": 20,
        "fee_online": 0,
        "fee_counter": 0,
        "summary": (
            "Giải quyết hưởng trợ cấp thất nghiệp cho người lao động đã chấm dứt hợp đồng lao "
            "động và đóng bảo hiểm thất nghiệp đủ thời gian."
        ),
        "summary_en": (
            "Decides the unemployment benefit of a worker whose contract ended and who paid "
            "unemployment insurance long enough."
        ),
        "conditions": (
            "Đã đóng bảo hiểm thất nghiệp từ đủ 12 tháng trở lên trong 24 tháng trước khi chấm "
            "dứt hợp đồng; nộp hồ sơ trong 03 tháng kể từ ngày chấm dứt hợp đồng; chưa tìm được "
            "việc làm."
        ),
        "conditions_en": (
            "At least 12 months of unemployment insurance in the 24 months before the contract "
            "ended; filed within 3 months of the end; not yet re-employed."
        ),
        "legal_basis": "Luật Việc làm 2013; Nghị định 28/2015/NĐ-CP.",
        "result_document": "Quyết định về việc hưởng trợ cấp thất nghiệp",
        "result_document_en": "Decision on unemployment benefit",
        "documents": [
            doc("Đề nghị hưởng trợ cấp thất nghiệp", "Unemployment benefit claim"),
            doc(
                "Quyết định thôi việc hoặc giấy tờ xác nhận chấm dứt hợp đồng lao động",
                "Proof that the employment contract ended",
                originals=0,
                copies=1,
            ),
            doc("Sổ bảo hiểm xã hội", "Social insurance book", wallet="social_insurance_book"),
        ],
        "questions": [
            ask(
                "last_employer",
                Kind.TEXT,
                "Đơn vị làm việc cuối cùng",
                "Last employer",
                max_length=200,
            ),
            ask(
                "contract_end",
                Kind.DATE,
                "Ngày chấm dứt hợp đồng lao động",
                "Date the contract ended",
            ),
            ask(
                "months_paid",
                Kind.NUMBER,
                "Số tháng đã đóng bảo hiểm thất nghiệp",
                "Months of unemployment insurance paid",
                min_value=12,
                max_value=600,
            ),
            ask(
                "bank_account",
                Kind.TEXT,
                "Số tài khoản ngân hàng nhận trợ cấp",
                "Bank account for the benefit",
                page=2,
                max_length=20,
            ),
            ask("bank_name", Kind.TEXT, "Tên ngân hàng", "Bank", page=2, max_length=100),
        ],
    },
    {
        "code": "HN.YT.01",  # local code: national code not verified
        "name": (
            "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm đối với cơ sở kinh doanh "
            "dịch vụ ăn uống"
        ),
        "name_en": "Food-safety certificate for a food service business",
        "field": "health",
        "level": CITY,
        "agency_kind": DEPT,
        "offered_by": CITY_ONE_STOP,
        "online_level": PARTIAL,  # the premises are inspected
        "handler": "form",
        "identity_level": 1,
        "days_online": 20,
        "days_counter": 20,
        "fee_online": 700000,
        "fee_counter": 700000,
        "summary": (
            "Thẩm định và cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm cho nhà hàng, "
            "bếp ăn tập thể, căng tin kinh doanh ăn uống."
        ),
        "summary_en": (
            "Inspects and certifies restaurants, canteens and catering kitchens as meeting "
            "food-safety conditions."
        ),
        "conditions": (
            "Cơ sở vật chất, trang thiết bị, dụng cụ bảo đảm an toàn thực phẩm; chủ cơ sở và "
            "người trực tiếp chế biến đã được tập huấn kiến thức và đủ sức khỏe."
        ),
        "conditions_en": (
            "Premises and equipment meet food-safety rules; the owner and the cooks are trained "
            "and fit to work."
        ),
        "legal_basis": "Luật An toàn thực phẩm 2010; Nghị định 15/2018/NĐ-CP; Thông tư 67/2021/TT-BTC.",
        "result_document": "Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
        "result_document_en": "Food-safety certificate",
        "documents": [
            doc("Đơn đề nghị cấp Giấy chứng nhận", "Application for the certificate"),
            doc(
                "Bản thuyết minh về cơ sở vật chất, trang thiết bị, dụng cụ",
                "Description of premises and equipment",
            ),
            doc(
                "Giấy xác nhận đủ sức khỏe của chủ cơ sở và người trực tiếp chế biến",
                "Health certificates of the owner and cooks",
                originals=0,
                copies=1,
            ),
            doc(
                "Giấy xác nhận đã được tập huấn kiến thức an toàn thực phẩm",
                "Food-safety training certificates",
                originals=0,
                copies=1,
            ),
        ],
        "questions": [
            ask(
                "establishment", Kind.TEXT, "Tên cơ sở", "Name of the establishment", max_length=200
            ),
            ask("address", Kind.ADDRESS, "Địa chỉ cơ sở", "Address of the establishment"),
            ask(
                "kind",
                Kind.CHOICE,
                "Loại hình",
                "Kind of business",
                choices=["Nhà hàng ăn uống", "Bếp ăn tập thể", "Căng tin", "Khác"],
            ),
            ask(
                "meals",
                Kind.NUMBER,
                "Số suất ăn mỗi ngày",
                "Meals a day",
                min_value=1,
                max_value=100000,
            ),
        ],
    },
    {
        "code": "HN.TT.01",  # local code: national code not verified
        "name": "Cấp giấy phép thiết lập trang thông tin điện tử tổng hợp",
        "name_en": "Licence for a general news-aggregation website",
        "field": "information",
        "level": CITY,
        "agency_kind": DEPT,
        "offered_by": ["SKHCN"],
        "online_level": FULL,
        "handler": "form",
        "identity_level": 1,
        "days_online": 10,
        "days_counter": 10,
        "fee_online": 0,
        "fee_counter": 0,
        "summary": (
            "Cấp giấy phép cho tổ chức, doanh nghiệp thiết lập trang thông tin điện tử tổng hợp "
            "đăng tải lại thông tin của cơ quan báo chí."
        ),
        "summary_en": (
            "Licenses an organisation or company to run a website that republishes news from "
            "press agencies."
        ),
        "conditions": (
            "Có tổ chức, nhân sự đáp ứng; tên miền hợp pháp; biện pháp bảo đảm an toàn thông tin."
        ),
        "conditions_en": "Suitable organisation and staff; a lawful domain name; security measures.",
        "legal_basis": "Nghị định 72/2013/NĐ-CP; Nghị định 147/2024/NĐ-CP.",
        "result_document": "Giấy phép thiết lập trang thông tin điện tử tổng hợp",
        "result_document_en": "Website licence",
        "documents": [
            doc("Đơn đề nghị cấp giấy phép", "Licence application"),
            doc(
                "Bản sao Giấy chứng nhận đăng ký doanh nghiệp",
                "Copy of the enterprise registration certificate",
                originals=0,
                copies=1,
                wallet="enterprise_registration_certificate",
            ),
            doc("Đề án hoạt động", "Operating plan"),
        ],
        "questions": [
            ask(
                "site_name", Kind.TEXT, "Tên trang thông tin", "Name of the website", max_length=150
            ),
            ask(
                "domain",
                Kind.TEXT,
                "Tên miền",
                "Domain name",
                max_length=253,
                hint="Ví dụ: tintuc.example.vn",
                hint_en="For example: news.example.vn",
            ),
            ask(
                "server_address",
                Kind.TEXT,
                "Địa chỉ đặt máy chủ tại Việt Nam",
                "Where the server is in Vietnam",
                max_length=255,
            ),
            ask(
                "sources",
                Kind.NUMBER,
                "Số nguồn tin (cơ quan báo chí)",
                "Number of press sources",
                page=2,
                min_value=1,
                max_value=500,
            ),
            ask("plan", Kind.FILE, "Đề án hoạt động (PDF)", "Operating plan (PDF)", page=2),
        ],
    },
]


@transaction.atomic
def seed_fields() -> dict[str, Field]:
    fields = {}
    for code, name, name_en in FIELDS:
        field, _ = Field.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en}
        )
        fields[code] = field
    return fields


@transaction.atomic
def seed_catalog() -> dict[str, int]:
    """Create or refresh the demo catalog. Returns counts:
    ``{"procedures": n, "changed": n_created_or_updated}``."""
    fields = seed_fields()
    agencies = {a.code: a for a in Agency.objects.all()}
    changed = 0
    for spec in CATALOG:
        spec = dict(spec)
        offered_by = [agencies[c] for c in spec.pop("offered_by") if c in agencies]
        documents = spec.pop("documents")
        questions = spec.pop("questions")
        spec["field"] = fields[spec["field"]]
        _procedure, did_change = services.procedure_sync(
            actor=None,
            values=spec,
            offered_by=offered_by,
            documents=documents,
            questions=questions,
            published=True,
            note="Danh mục mẫu (seed_catalog)",
        )
        changed += did_change
    return {"procedures": len(CATALOG), "changed": changed}
