"""English output formats: the same family as :mod:`sentimatrix.when` ("7 Dec 2026, 08:30")."""

from sentimatrix.when import DATE_TIME, DAY

DATE_FORMAT = DAY
DATETIME_FORMAT = DATE_TIME
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = DAY
SHORT_DATETIME_FORMAT = DATE_TIME
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
