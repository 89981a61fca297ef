from django.db import migrations

# The channel codes of the API contract; names are what clerks and legacy spreadsheets call them.
CHANNELS = [
    ("tmall", "天猫", "marketplace"),
    ("jd", "京东", "marketplace"),
    ("douyin", "抖音", "marketplace"),
    ("web", "官网", "own_shop"),
    ("wechat_mini", "小程序", "mini_program"),
    ("store", "门店", "store"),
]


def seed(apps, schema_editor):
    Channel = apps.get_model("orders", "Channel")
    for code, name, kind in CHANNELS:
        Channel.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_line_goods_quantities")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
