"""The feedback categories every deployment starts with (administrators
change their names and working days in the back office)."""

from django.db import migrations

CATEGORIES = [
    # code, name, name_en, about, order
    (
        "quy-dinh-hanh-chinh",
        "Quy định hành chính (thủ tục, giấy tờ, phí, thời hạn)",
        "An administrative rule (procedure, papers, fees, time limits)",
        "regulation",
        1,
    ),
    (
        "giai-quyet-ho-so",
        "Việc giải quyết hồ sơ (trễ hẹn, yêu cầu thêm giấy tờ, sai sót)",
        "How a dossier was handled (late, extra papers asked, mistakes)",
        "service",
        2,
    ),
    (
        "thai-do-phuc-vu",
        "Thái độ, tác phong của cán bộ, công chức",
        "The conduct of officials",
        "service",
        3,
    ),
    (
        "cong-dich-vu-cong",
        "Cổng dịch vụ công trực tuyến",
        "The online public-service portal",
        "service",
        4,
    ),
]


def seed(apps, schema_editor):
    FeedbackCategory = apps.get_model("engagement", "FeedbackCategory")
    for code, name, name_en, about, order in CATEGORIES:
        FeedbackCategory.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "about": about, "order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("engagement", "0002_feedback")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
