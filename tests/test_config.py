"""Configuration: the night volume and the checks on its values."""

import datetime as dt

import pytest

from voicecoach.store.config import ConfigError, build_config, starting_volume


def test_the_night_volume_is_used_during_the_night_hours(content):
    config = build_config({"voice": {"volume": 0.9, "night_volume": 0.3, "night_hours": "22:30-06:45"}},
                          content.routine, "c.toml")
    assert starting_volume(config, dt.time(23, 0)) == 0.3
    assert starting_volume(config, dt.time(6, 0)) == 0.3
    assert starting_volume(config, dt.time(6, 45)) == 0.9
    assert starting_volume(config, dt.time(12, 0)) == 0.9


def test_without_a_night_volume_the_volume_stays(content):
    config = build_config({"voice": {"volume": 0.7}}, content.routine, "c.toml")
    assert starting_volume(config, dt.time(3, 0)) == 0.7


@pytest.mark.parametrize("voice,message", [
    ({"night_volume": 2}, "voice.night_volume: must be between 0.2 and 1.0"),
    ({"night_hours": "late"}, 'voice.night_hours: must look like "21:00-07:00"'),
])
def test_bad_voice_settings(content, voice, message):
    with pytest.raises(ConfigError, match=message):
        build_config({"voice": voice}, content.routine, "c.toml")


def test_quiet_hours_ignore_the_start_phrase(content):
    from voicecoach.clock import SimulatedClock
    from voicecoach.coach.runner import SessionRunner, TextSpeaker
    from voicecoach.sim.scenario import Cue, ScriptedSource

    config = build_config({"session": {"quiet_hours": "00:30-05:30"}}, content.routine, "c.toml")
    assert config.quiet_hours == (dt.time(0, 30), dt.time(5, 30))
    for quiet, started in ((True, False), (False, True)):
        clock = SimulatedClock()
        runner = SessionRunner(content, clock=clock, speaker=TextSpeaker(),
                               source=ScriptedSource([Cue("good morning coach", at_s=1)], clock),
                               accepts_start=lambda quiet=quiet: not quiet)
        runner.run(start_now=False)
        assert any(l.key == "start" for l in runner.timeline) is started


def test_the_readme_config_example_is_a_valid_config(content):
    import re
    import tomllib
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    example = re.search(r"## Configuration.*?```toml\n(.*?)```", readme, re.S).group(1)
    config = build_config(tomllib.loads(example), content.routine, "README.md")
    assert config.session.hold_s == {"knee_to_chest": 20, "lumbar_rotation": 8}
    assert config.voice_engine == "auto" and config.listening.echo_gate_margin_db == 10
    assert config.listening.echo_gate_band_low_hz == 3000
