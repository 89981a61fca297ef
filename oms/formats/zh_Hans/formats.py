"""Django's zh_Hans formats, but numbers grouped by thousands with a comma (30,000; 1,234.50).

Django's own zh_Hans formats group by ten-thousands with no separator at all, so `intcomma` and
localized numbers showed 30000 and 1234567 while money, everywhere in OMS, reads ¥1,234.50 — the
way Chinese business software and bank statements write amounts. Only the grouping changes; dates
and times stay Django's.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
