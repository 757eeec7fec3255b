import subprocess
import sys

import pytest

from trackprop.cli import main


def test_help_lists_the_subcommands():
    result = subprocess.run(
        [sys.executable, "-m", "trackprop.cli", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for command in ("demo", "data"):
        assert command in result.stdout


def test_bad_input_is_one_line_on_stderr(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TRACKPROP_CACHE", str(tmp_path / "cache"))
    assert main(["data", "synth", "--out", str(tmp_path / "out"), "--videos", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "run 'trackprop data fetch' first" in err
    assert main(["data", "preview", str(tmp_path), "--out", str(tmp_path / "s.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is this a DAVIS root?" in err
    out = str(tmp_path / "out")
    assert main(["data", "synth", "--out", out, "--cartoon-objects", "1.5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--cartoon-objects 1.5" in err


def test_public_api_names_the_session():
    import trackprop
    from trackprop.session import Session

    assert trackprop.Session is Session


def test_int8_and_a_candidate_network_are_refused_before_anything_runs(tmp_path, capsys):
    """int8 is a build of the shipped network: a candidate with it would silently run in fp32."""
    report = tmp_path / "report"
    arguments = ["eval", "interactive", "--root", str(tmp_path), "--report", str(report)]
    with pytest.raises(SystemExit) as stopped:
        main([*arguments, "--network", "candidate.pt", "--int8"])
    assert stopped.value.code == 2
    assert "argument --int8: not allowed with argument --network" in capsys.readouterr().err
    assert not report.exists()
