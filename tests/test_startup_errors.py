"""`longtail serve` fails before anything slow loads when it could not listen, and the `longtail` commands do not
print bitsandbytes' notice about its CPU 4-bit kernels unless 4-bit is in use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from assistant.loading import BNB_KERNELS_NOTICE
from longtail.cli import cli
from ui.cli import check_port

ROOT = Path(__file__).resolve().parents[1]


def test_serve_rejects_a_port_out_of_range_before_building_the_store():
    data_dir = Path(os.environ["LONGTAIL_DATA_DIR"])
    result = CliRunner().invoke(cli, ["serve", "--fake-model", "--port", "99999"])
    assert result.exit_code != 0
    assert "between 1 and 65535" in result.output and "--port" in result.output
    assert "Traceback" not in result.output
    assert not (data_dir / "stores").exists()  # nothing was loaded, nothing indexed


def test_serve_says_which_port_is_in_use_and_how_to_pick_another():
    data_dir = Path(os.environ["LONGTAIL_DATA_DIR"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["serve", "--fake-model", "--host", "127.0.0.1", "--port", str(port)]
        )
    assert result.exit_code == 1, result.output
    assert f"Port {port} on 127.0.0.1 is already in use" in result.output and "--port" in result.output
    assert not isinstance(result.exception, OSError)  # a clean ClickException, no traceback
    assert not (data_dir / "stores").exists()


def test_check_port_accepts_a_free_port_and_leaves_it_free():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    check_port("127.0.0.1", port)
    with socket.socket() as again:  # the test bind was closed: the server can take the port
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_check_port_names_the_valid_range(port):
    with pytest.raises(click.BadParameter, match="between 1 and 65535"):
        check_port("127.0.0.1", port)


def test_check_port_rejects_a_host_that_is_not_this_machine():
    with pytest.raises(click.ClickException, match="--host"):
        check_port("no-such-host.invalid", 7860)


def _stderr_of(code: str) -> str:
    """stderr of ``code`` in a fresh interpreter (bitsandbytes logs its notice once, when first imported)."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    return done.stderr


def test_importing_peft_for_the_adapter_does_not_print_the_4bit_kernels_notice():
    pytest.importorskip("peft")
    code = "from assistant.loading import peft_model_class; peft_model_class('none')"
    assert BNB_KERNELS_NOTICE not in _stderr_of(code)
    assert BNB_KERNELS_NOTICE not in _stderr_of("import assistant.loading, ui.cli, longtail.cli")


def test_the_4bit_kernels_notice_still_shows_when_4bit_is_used():
    pytest.importorskip("bitsandbytes")
    if BNB_KERNELS_NOTICE not in _stderr_of("import bitsandbytes"):
        pytest.skip("this bitsandbytes / CPU prints no kernels notice")
    code = "from assistant.loading import peft_model_class; peft_model_class('4bit')"
    assert BNB_KERNELS_NOTICE in _stderr_of(code)
