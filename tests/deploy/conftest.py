"""Deploy tests share the serving workspace fixture."""

from tests.serving.conftest import workspace  # noqa: F401
