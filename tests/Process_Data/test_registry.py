import pytest

from Process_Data.registry import Registry


class Base:
    pass


def test_register_build_and_list():
    reg = Registry("widget", Base)

    @reg.register("b")
    class B(Base):
        def __init__(self, x=1):
            self.x = x

    @reg.register("a")
    class A(Base):
        pass

    assert reg.names() == ["a", "b"]
    assert reg.build("b", x=3).x == 3
    assert "a" in reg and len(reg) == 2


def test_unknown_name_lists_valid_names():
    reg = Registry("widget", Base)
    reg.register("only")(type("Only", (Base,), {}))
    with pytest.raises(KeyError, match="unknown widget 'nope'; valid names: only"):
        reg.get("nope")


def test_wrong_base_and_duplicate_rejected():
    reg = Registry("widget", Base)
    with pytest.raises(TypeError, match="not a subclass of Base"):
        reg.register("x")(int)
    reg.register("y")(type("Y", (Base,), {}))
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("y")(type("Y2", (Base,), {}))
