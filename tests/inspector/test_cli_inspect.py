"""``raystreams inspect``: the Streamlit command it starts (the browser test runs it for real)."""

from __future__ import annotations

from pathlib import Path

from raystreams import cli

ROOT = Path(__file__).resolve().parents[2]


def test_inspect_defaults_bind_this_machine_only():
    args = cli.build_parser().parse_args(["inspect"])
    assert (args.address, args.app, args.port, args.host) == ("auto", None, 8501, "127.0.0.1")
    command = cli.inspect_command(args)
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert Path(command[4]) == ROOT / "inspector" / "app.py"
    options = dict(zip(command[5:-3:2], command[6:-3:2], strict=True))
    assert options == {"--server.headless": "true", "--server.address": "127.0.0.1",
                       "--server.port": "8501", "--server.fileWatcherType": "none",
                       "--client.toolbarMode": "viewer",
                       "--browser.gatherUsageStats": "false"}
    assert command[-3:] == ["--", "--address", "auto"]


def test_inspect_passes_the_app_address_host_and_port():
    args = cli.build_parser().parse_args(
        ["inspect", "--address", "ray://head:10001", "--app", "wc", "--port", "9000",
         "--host", "0.0.0.0"])
    command = cli.inspect_command(args)
    assert command[command.index("--server.port") + 1] == "9000"
    assert command[command.index("--server.address") + 1] == "0.0.0.0"
    assert command[-5:] == ["--", "--address", "ray://head:10001", "--app", "wc"]


def test_the_app_reads_what_inspect_passes():
    import sys

    sys.path.insert(0, str(ROOT))
    from inspector.sources import parse_options

    options = parse_options(["--address", "ray://head:10001", "--app", "wc"], environ={})
    assert (options.address, options.app, options.source) == ("ray://head:10001", "wc", None)
    env = {"RAYSTREAMS_INSPECTOR_SOURCE": "m:f", "RAYSTREAMS_INSPECTOR_APP": "x"}
    assert parse_options([], environ=env).source == "m:f"
    assert parse_options([], environ=env).app == "x"
