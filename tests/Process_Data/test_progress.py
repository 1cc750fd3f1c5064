"""Progress: periodic lines with count, rate and ETA in logs; a tqdm bar on a terminal."""

import io

from Process_Data.progress import progress


def test_log_lines_have_count_rate_and_eta():
    log = io.StringIO()
    for _ in progress(range(10), desc="compute_feats", unit="utt", file=log, interval=0):
        pass
    lines = log.getvalue().splitlines()
    assert lines[-1].startswith("compute_feats: 10/10 utt (100%), ")
    assert "utt/s" in lines[-1] and "ETA" in lines[-1]
    assert "\r" not in log.getvalue()


def test_interval_limits_lines_and_unknown_total_still_reports():
    log = io.StringIO()
    for _ in progress(iter(range(1000)), desc="scores", file=log, interval=3600):
        pass
    lines = log.getvalue().splitlines()
    assert len(lines) <= 3 and lines[-1].startswith("scores: 1000 it, ")


def test_disabled_by_environment(monkeypatch):
    monkeypatch.setenv("SV_PROGRESS", "0")
    log = io.StringIO()
    with progress(total=5, file=log, interval=0) as bar:
        bar.update(5)
    assert log.getvalue() == ""


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_terminal_gets_a_bar():
    tty = _Tty()
    for _ in progress(range(3), desc="egs", file=tty):
        pass
    assert "\r" in tty.getvalue() and "3/3" in tty.getvalue()


def test_feature_jobs_log_progress(tmp_path, monkeypatch, capsys):
    from Process_Data.bin import compute_feats
    from tests.recipe_fakes import voice, write

    wav_scp = tmp_path / "wav.scp"
    wav_scp.write_text("".join(
        f"u{i} {write(tmp_path / f'u{i}.wav', voice(i, 0, 0.3))}\n" for i in range(3)))
    monkeypatch.setenv("SV_PROGRESS_INTERVAL", "0")
    rc = compute_feats.main(["--feature-type=fbank", str(wav_scp),
                             f"ark,scp:{tmp_path}/f.ark,{tmp_path}/f.scp"])
    assert rc == 0
    assert "compute_feats fbank: 3/3 utt (100%)" in capsys.readouterr().err
