"""The runtime must start without the training stack: importing the CLI pulls in no torch."""

from __future__ import annotations

import subprocess
import sys


def test_cli_imports_without_training_stack() -> None:
    code = (
        "import sys, koclaw.cli, koclaw.app, finetune; "
        "heavy = [m for m in ('torch', 'transformers', 'peft', 'trl') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
