import pytest

from modelward.cli.errors import EXIT_CODE, exit_code_for
from modelward.errors import ModelwardError, all_error_classes


@pytest.mark.parametrize(
    "exc_type",
    [c for c in all_error_classes() if c.__module__ == "modelward.errors"],
    ids=lambda c: c.__name__,
)
def test_every_error_has_an_exit_code_on_purpose(exc_type: type[ModelwardError]) -> None:
    assert exc_type in EXIT_CODE, f"{exc_type.__name__} is not in the CLI's EXIT_CODE table"


def test_subclasses_fall_back_through_the_mro() -> None:
    class Custom(ModelwardError.__subclasses__()[0]):  # type: ignore[misc]
        pass

    assert exit_code_for(Custom("x")) == EXIT_CODE[ModelwardError.__subclasses__()[0]]


def test_codes_are_unique_strings() -> None:
    codes = [cls.code for cls in all_error_classes() if cls.__module__ == "modelward.errors"]
    assert len(codes) == len(set(codes))
