import pytest

from designmall.core.ids import new_public_id


@pytest.fixture
def shop_id() -> str:
    return new_public_id("s")
