"""The time from the end of an answer to the coach's reply, as the virtual bedside reports it:
the simulated clock stops while a frame is heard, so the decoding's wall time is added back."""

import numpy as np

from voicecoach.audio.chunks import AudioChunk
from voicecoach.sim.bedside import BedsideResult, SpokenCue
from voicecoach.types import Line

FRAME_S = 0.02
SILENT = AudioChunk(np.zeros(160, np.int16), 16000)


def result(frame_costs, *, answer=(10.0, 10.5), heard_at=10.86, coach_talking=False):
    timeline = [Line("coach", "Any numbness?", 5.0, 9.5 if not coach_talking else 10.2, key="question:a"),
                Line("you", "no", heard_at, heard_at, note="no"),
                Line("coach", "Next question.", heard_at, heard_at + 2.0, key="question:b")]
    user = [SpokenCue("no", answer[0], answer[1], SILENT, onset_s=answer[0])]
    frames = [(round(t, 2), FRAME_S, frame_costs(round(t, 2))) for t in np.arange(9.0, heard_at - 1e-9, FRAME_S)]
    return BedsideResult(None, timeline, 0.0, SILENT, user, [], [], frames)


def test_with_free_decoding_the_reply_time_is_the_end_pointing():
    (got,) = result(lambda t: 0.0).reply_latencies_s()
    assert abs(got - 0.36) < 1e-6


def test_the_last_frame_s_decoding_is_added():
    (got,) = result(lambda t: 0.08 if t == 10.84 else 0.0005).reply_latencies_s()
    assert abs(got - (0.36 + 0.08)) < 1e-6


def test_a_slow_frame_earlier_delays_the_reply_only_by_what_is_not_caught_up():
    # A 100 ms partial decode at 10.6 s: the frames after it queue up, then are heard at 1 ms each.
    (got,) = result(lambda t: 0.1 if t == 10.6 else 0.001).reply_latencies_s()
    backlog_s = 0.62 + 0.1 + 11 * 0.001 - 0.86  # done at 10.731; the last frame is in at 10.86
    assert backlog_s < 0 and abs(got - (0.36 + 0.001)) < 1e-6
    (got,) = result(lambda t: 0.3 if t == 10.6 else 0.001).reply_latencies_s()
    assert abs(got - (10.6 + 0.02 + 0.3 + 12 * 0.001 - 10.5)) < 1e-6  # not caught up by the end


def test_an_answer_over_the_coach_is_left_to_the_barge_in_figures():
    assert result(lambda t: 0.0, coach_talking=True).reply_latencies_s() == []
