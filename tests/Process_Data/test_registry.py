import pytest

from Process_Data.registry import Registry, RegistryError, accepted_keywords


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


class Head(Base):
    def __init__(self, embed_dim, num_classes, margin=0.2, scale=30.0):
        self.margin = margin


class MarginHead(Head):
    """A subclass that hands ``**kw`` to its base: the base's keys are valid too."""

    def __init__(self, easy_margin=False, **kw):
        super().__init__(**kw)


class Swallow(Base):
    """A ``**kw`` that is not handed on: anything goes (no check possible)."""

    def __init__(self, x=1, **_):
        self.x = x


def _heads():
    reg = Registry("loss", Base)
    reg.register("head")(Head)
    reg.register("margin_head")(MarginHead)
    reg.register("swallow")(Swallow)
    return reg


def test_misspelt_key_is_a_one_line_error_listing_valid_keys():
    reg = _heads()
    with pytest.raises(RegistryError) as e:
        reg.build("head", embed_dim=4, num_classes=3, margn=0.3)
    assert str(e.value) == (
        "unknown loss_conf key 'margn' for loss 'head'; "
        "valid keys: embed_dim, margin, num_classes, scale"
    )
    assert isinstance(e.value, ValueError) and "\n" not in str(e.value)
    assert reg.build("head", embed_dim=4, num_classes=3, margin=0.3).margin == 0.3


def test_keys_of_the_base_class_count_when_kwargs_are_handed_on():
    reg = _heads()
    assert reg.build("margin_head", embed_dim=4, num_classes=3, margin=0.1).margin == 0.1
    with pytest.raises(RegistryError, match=r"keys 'a', 'b' for loss 'margin_head'; valid keys: "
                       r"easy_margin, embed_dim, margin, num_classes, scale"):
        reg.build("margin_head", embed_dim=4, num_classes=3, a=1, b=2)
    assert reg.build("swallow", anything=1).x == 1
    assert accepted_keywords(Swallow) is None


def test_positional_arguments_are_not_config_keys():
    reg = Registry("optimizer", conf_key="optimizer_conf")
    reg.register("f")(lambda params, lr=0.1: (params, lr))
    assert reg.build("f", [1], lr=0.5) == ([1], 0.5)
    with pytest.raises(RegistryError, match=r"^unknown optimizer_conf key 'params' for optimizer 'f'; "
                       r"valid keys: lr$"):
        reg.build("f", [1], params=2)


def test_every_registered_model_and_loss_reports_a_misspelt_key():
    from TrainAndTest.losses import LOSSES
    from TrainAndTest.models import MODELS

    with pytest.raises(RegistryError, match=r"unknown model_conf key 'chanels' for model "
                       r"'ecapa_tdnn'; valid keys: .*\bchannels\b"):
        MODELS.build("ecapa_tdnn", feat_dim=20, chanels=8)
    with pytest.raises(RegistryError, match=r"unknown model_conf key 'chanels' for model "
                       r"'ecapa_tdnn_c512'; valid keys: .*\bchannels\b"):
        MODELS.build("ecapa_tdnn_c512", feat_dim=20, chanels=8)
    for name in LOSSES.names():
        with pytest.raises(RegistryError, match=f"unknown loss_conf key 'margn' for loss '{name}'"):
            LOSSES.build(name, embed_dim=4, num_classes=3, margn=0.1)


def test_docstring_examples():
    import doctest

    import Process_Data.registry as module

    result = doctest.testmod(module)
    assert result.attempted >= 5 and result.failed == 0
