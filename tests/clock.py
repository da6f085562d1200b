"""The fixed instant that tests on seeded results take as "now".

Week and month buckets, and the rounding of their averages, are then the same whatever day the
suite runs on. It lies in the future so the server's TTL monitor never expires what those tests
write while their process clock stands there.
"""

from datetime import UTC, datetime

SEED_NOW = datetime(2030, 7, 17, 14, 30, tzinfo=UTC)
