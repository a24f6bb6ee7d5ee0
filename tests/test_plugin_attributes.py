"""After a bare ``import plait``, the plugin packages are reachable as attributes, as ``torch.nn`` is after
``import torch``; a missing plugin is an AttributeError that names the distribution to install."""
import subprocess
import sys
import textwrap


def _run(code):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_plugins_are_attributes_after_import_plait():
    out = _run("""
        import sys
        import plait
        assert "plait.nn" not in sys.modules  # importing plait stays light
        print(plait.nn.Linear(2, 3))
        print(plait.optim.SGD.__name__, plait.tensorboard.SummaryWriter.__name__)
        assert not hasattr(plait, "no_such_thing")
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["Linear(in_features=2, out_features=3, bias=True)", "SGD SummaryWriter"]


def test_missing_plugin_attribute_names_the_distribution():
    out = _run("""
        import sys
        sys.modules["plait.optim"] = None  # as if plait-optim were not installed
        import plait
        assert not hasattr(plait, "optim")
        try:
            plait.optim
        except AttributeError as exc:
            print(exc)
    """)
    assert out.returncode == 0, out.stderr
    assert "plait.optim" in out.stdout


def test_unknown_attribute_is_a_plain_attribute_error():
    out = _run("""
        import plait
        try:
            plait.no_such_thing
        except AttributeError as exc:
            print(exc)
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "module 'plait' has no attribute 'no_such_thing'"
