"""Writes ``rnn_reference.py``: torch 2.13's results for every case of ``rnn_cases.py``.

    .venv/bin/python tests/nn/make_rnn_reference.py
"""
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from rnn_cases import CASES, run_case  # noqa: E402


def _literal(array):
    return repr([float(f"{v:.13g}") for v in array.reshape(-1).tolist()])


def main():
    lines = [f'"""torch {torch.__version__} results for the cases of rnn_cases.py (written by make_rnn_reference.py).',
             "",
             'Each entry: name -> (shape, values flattened row-major)."""', "", "REFERENCE = {"]
    for name in CASES:
        lines.append(f"    {name!r}: {{")
        for key, value in run_case(name, torch).items():
            lines.append(f"        {key!r}: ({tuple(value.shape)!r}, {_literal(value)}),")
        lines.append("    },")
    lines.append("}")
    path = pathlib.Path(__file__).with_name("rnn_reference.py")
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
