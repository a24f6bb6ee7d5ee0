"""``python -m plait.testing.conformance --plait-backend=NAME [pytest options]``: run the conformance suite.

The same as ``pytest --pyargs plait.testing.conformance --plait-backend=NAME``, but it loads the plugin
explicitly (so it also works with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``) and does not depend on the
current project's pytest configuration deciding which files are tests. The exit status is pytest's.
"""
import sys


def main(argv=None):
    import pytest
    args = list(sys.argv[1:] if argv is None else argv)
    # plait is imported before pytest starts here, so pytest cannot mark it for assertion rewriting: say nothing
    quiet = "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning"
    return pytest.main(["-p", "plait.testing.conformance.plugin", "-W", quiet, "-o", "python_files=test_*.py",
                        "-o", "python_classes=Test*", "-o", "python_functions=test_*", "--pyargs",
                        "plait.testing.conformance", *args])


if __name__ == "__main__":
    sys.exit(main())
