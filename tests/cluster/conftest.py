"""The loopback cluster the tests in this folder share, one per test module."""

import os

import pytest

from designmall.demo.cluster import Cluster
from tests.cluster.support import close_helpers, missing_servers


@pytest.fixture(scope="module")
def cluster():
    missing = missing_servers()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the cluster tests need {missing}")
        pytest.skip(missing)
    fast_replica_rules = {
        "REPLICA_STICKY_SECONDS": "2",
        "REPLICA_MAX_LAG_SECONDS": "1",
        "REPLICA_CHECK_SECONDS": "0.5",
        "REDIS_RETRY_SECONDS": "1",
    }
    with Cluster(
        nodes=2,
        workers=2,
        node_threads=4,
        log=False,
        log_statements=True,
        extra_env=fast_replica_rules,
        keep=os.environ.get("KEEP_CLUSTER") == "1",  # its logs, to see why a test failed
    ) as running:
        try:
            yield running
        finally:
            close_helpers(running)
