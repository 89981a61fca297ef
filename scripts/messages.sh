#!/usr/bin/env bash
# Extract and compile translations per app: each app keeps its own locale/ folder, so stages can be
# translated (and merged) independently. Project templates/ go to the top-level locale/.
# Needs GNU gettext; the compiled .mo files are committed so a fresh checkout shows Chinese.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PY:-$root/.venv/bin/python}
export DJANGO_SETTINGS_MODULE=oms.settings PYTHONPATH=$root DJANGO_DEBUG=1  # a development tool
apps=$(cd "$root" && "$py" - <<'PY'
import django, os
django.setup()
from django.apps import apps
root = os.getcwd()
for cfg in apps.get_app_configs():
    if cfg.path.startswith(root + "/") and "/.venv/" not in cfg.path:
        print(os.path.relpath(cfg.path, root))
PY
)
for app in $apps; do
  mkdir -p "$root/$app/locale"
  (cd "$root/$app" && "$py" "$root/manage.py" makemessages -l zh_Hans --no-obsolete -i "tests/*" -i "migrations/*" >/dev/null)
done
# Project-wide templates (base layout, PDF layouts) → top-level locale/.
(cd "$root" && "$py" manage.py makemessages -l zh_Hans --no-obsolete -i ".venv/*" -i "oms/*" -i "core/*" -i "catalog/*" -i "documents/*" -i "orders/*" \
  -i "inventory/*" -i "finance/*" -i "logistics/*" -i "aftersales/*" -i "bench/*" -i "tests/*" -i "scripts/*" \
  -i "staticfiles/*" >/dev/null)
(cd "$root" && "$py" manage.py compilemessages -l zh_Hans -i ".venv" >/dev/null)
echo "translations extracted and compiled"
