"""The client virtualenv: the official library installs and imports."""

import subprocess

import pytest

pytestmark = pytest.mark.interop


def test_client_library_imports(client_python):
    check = subprocess.run(
        [str(client_python), "-c", "import arrowhead_client.client.implementations"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr


def test_client_venv_has_pydantic_1(client_python):
    check = subprocess.run(
        [str(client_python), "-c", "import pydantic; print(pydantic.VERSION)"],
        capture_output=True,
        text=True,
    )
    assert check.stdout.startswith("1."), check.stdout
