"""The corpus directories hold hostile submissions, not tests: never collect or import them
(one of them carries a conftest.py that rewrites test outcomes, stored under another name)."""

collect_ignore = ["cases"]
