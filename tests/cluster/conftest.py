"""The several-machine checks need real services (Redis, ...): collected only when
BUNGU_CLUSTER_TESTS=1 (``make cluster-test``)."""

import os

collect_ignore_glob = [] if os.environ.get("BUNGU_CLUSTER_TESTS") == "1" else ["test_*.py"]
