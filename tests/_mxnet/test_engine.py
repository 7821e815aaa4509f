"""The shared training engine: history, decay, NaN guard, checkpoints, resume, interrupts,
data parallelism — exercised through a real model on real digits."""
import os
import zipfile

import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon, nd

from accelbrainbase._mxnet.checkpoint import load_checkpoint
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from helpers import ArrayBatches, one_hot, softmax_ce


@pytest.fixture
def digits_batches(digits_arrays):
    a = digits_arrays

    def make(epochs=3, batch_size=64, seed=0):
        return ArrayBatches(a["x_train"], one_hot(a["y_train"]), a["x_test"], one_hot(a["y_test"]),
                            epochs=epochs, batch_size=batch_size, seed=seed)
    return make


def model(loss=None, **overrides):
    options = dict(units_list=[32, 10], activation_list=["relu", "identity"], dropout_rate_list=[0.0, 0.0],
                   learning_rate=0.01, optimizer_name="adam", ctx=mx.cpu())
    options.update(overrides)
    return NeuralNetworks(loss or softmax_ce(), **options)


class TurnsNaN(gluon.loss.Loss):
    """Cross-entropy that becomes NaN after ``good_calls`` calls (a deterministic divergence)."""

    def __init__(self, good_calls):
        super().__init__(None, 0)
        self.calls, self.good_calls, self.inner = 0, good_calls, softmax_ce()

    def forward(self, pred, label):
        self.calls += 1
        loss = self.inner(pred, label)
        return loss if self.calls <= self.good_calls else loss * np.nan


def test_history_has_one_row_per_epoch(digits_batches):
    m = model()
    m.learn(digits_batches(epochs=4))
    assert m.loss_arr.shape == (4, 2)
    assert np.isfinite(m.loss_arr).all()
    assert m.loss_arr[-1, 0] < m.loss_arr[0, 0]
    assert m.epoch == 3


def test_learning_rate_decays_once_every_attenuate_epoch(digits_batches):
    m = model(learning_rate=0.1, learning_attenuate_rate=0.5, attenuate_epoch=2, optimizer_name="sgd")
    m.learn(digits_batches(epochs=5))
    # decays at the start of epochs 2 and 4: 0.1 * 0.5 * 0.5
    assert m.trainer.learning_rate == pytest.approx(0.025)



def test_anneal_from_holds_the_rate_then_lowers_it_linearly_to_zero_step_by_step(digits_batches):
    """``LearningSchedule(anneal_from=f)``: the rate each step trains with is the initial one for the
    first round(f * total) steps, then falls linearly to reach zero after the last; learning still works."""
    from accelbrainbase._mxnet.engine import LearningSchedule

    m = model(learning_rate=0.05, optimizer_name="sgd")
    m.learning_schedule = LearningSchedule(0.05, anneal_from=0.5)
    seen = []
    original = m.training_step

    def recording_step(batch):
        seen.append(m.trainer.learning_rate)
        return original(batch)

    m.training_step = recording_step
    data = digits_batches(epochs=2, batch_size=202)  # 1,617 rows: 8 steps an epoch, 16 in all
    m.learn(data)
    total = len(seen)
    assert total == 16
    expected = [0.05] * 8 + [0.05 * (total - k) / 8.0 for k in range(8, total)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12)
    frame = m.loss_history.to_frame()
    assert frame["train_loss"].iloc[-1] < frame["train_loss"].iloc[0]


def test_anneal_from_resumes_on_the_same_rates(tmp_path, digits_batches):
    from accelbrainbase._mxnet.engine import LearningSchedule

    def run(epochs, resume, path):
        m = model(learning_rate=0.05, optimizer_name="sgd")
        m.learning_schedule = LearningSchedule(0.05, anneal_from=0.25)
        seen = []
        original = m.training_step
        m.training_step = lambda batch: (seen.append(m.trainer.learning_rate), original(batch))[1]
        m.learn(digits_batches(epochs=epochs, batch_size=202), checkpoint_path=path, resume=resume)
        return seen

    whole = run(4, False, str(tmp_path / "whole.ckpt"))
    path = str(tmp_path / "part.ckpt")
    first = run(2, False, path)
    # a 2-epoch run anneals over its own 16 steps; resumed with 4 epochs, the rates follow the 32-step run
    rest = run(4, True, path)
    assert len(first) == 16 and len(rest) == 16
    np.testing.assert_allclose(rest, whole[16:], rtol=1e-12)


def test_anneal_from_bad_values_are_rejected_by_name():
    from accelbrainbase._mxnet.engine import LearningSchedule

    for bad in (1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="anneal_from"):
            LearningSchedule(0.01, anneal_from=bad)
    with pytest.raises(TypeError, match="anneal_from"):
        LearningSchedule(0.01, anneal_from="half")
    with pytest.raises(ValueError, match="attenuate_rate"):
        LearningSchedule(0.01, attenuate_rate=0.9, anneal_from=0.5)
    assert LearningSchedule(0.01, anneal_from=0.0).annealed_rate(0, 4) == pytest.approx(0.01)


def test_nan_loss_stops_with_floating_point_error_and_keeps_the_last_checkpoint(tmp_path, digits_batches):
    batches = digits_batches(epochs=4)
    per_epoch = batches.iter_n // batches.epochs
    # two good epochs (each also evaluates the test loss once), then NaN
    m = model(loss=TurnsNaN(good_calls=2 * (per_epoch + 1)))
    path = str(tmp_path / "run.ckpt")
    with pytest.raises(FloatingPointError, match="epoch 3"):
        m.learn(batches, checkpoint_path=path)
    meta = load_checkpoint(path, model(), {}, [mx.cpu()])
    assert meta["epoch"] == 1 and len(meta["history"]["rows"]) == 2
    assert all(np.isfinite([row["train_loss"] for row in meta["history"]["rows"]]))


def test_resume_continues_the_history_and_parameters(tmp_path, digits_batches):
    path = str(tmp_path / "run.ckpt")
    first = model()
    first.learn(digits_batches(epochs=2), checkpoint_path=path)
    resumed = model()
    resumed.learn(digits_batches(epochs=5), checkpoint_path=path, resume=True)
    assert resumed.loss_arr.shape == (5, 2)
    np.testing.assert_array_equal(resumed.loss_arr[:2], first.loss_arr)
    # the resumed run started from the saved weights, not from scratch
    assert resumed.loss_arr[2, 0] < first.loss_arr[0, 0]


def test_an_interrupted_checkpoint_write_leaves_the_previous_one_intact(tmp_path, digits_batches, monkeypatch):
    path = str(tmp_path / "run.ckpt")
    m = model()
    m.learn(digits_batches(epochs=1), checkpoint_path=path)
    before = open(path, "rb").read()

    def failing_writestr(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    with pytest.raises(OSError, match="disk full"):
        m.learn(digits_batches(epochs=1), checkpoint_path=path)
    assert open(path, "rb").read() == before
    assert [f for f in os.listdir(str(tmp_path)) if f != "run.ckpt"] == []


def test_keyboard_interrupt_ends_learning_cleanly(digits_batches):
    batches = digits_batches(epochs=5)
    per_epoch = batches.iter_n // batches.epochs
    original = batches.generate_learned_samples

    def interrupted():
        for i, batch in enumerate(original()):
            if i == 2 * per_epoch + 1:
                raise KeyboardInterrupt
            yield batch

    batches.generate_learned_samples = interrupted
    m = model()
    m.learn(batches)
    assert m.loss_arr.shape == (2, 2)


def test_data_parallel_over_two_contexts_learns(digits_batches, digits_arrays):
    m = model(ctx=[mx.cpu(0), mx.cpu(1)])
    m.learn(digits_batches(epochs=4))
    x = nd.array(digits_arrays["x_test"])
    accuracy = (m.inference(x).argmax(axis=1).asnumpy() == digits_arrays["y_test"]).mean()
    assert accuracy > 0.85
    assert len(m.collect_params()["%sdense0_weight" % m.prefix].list_ctx()) == 2


def test_an_iterator_without_batches_per_epoch_is_rejected(digits_batches):
    batches = digits_batches(epochs=3)
    batches.iter_n = 2
    with pytest.raises(ValueError, match="at least one batch per epoch"):
        model().learn(batches)


def test_resume_needs_a_path(digits_batches):
    with pytest.raises(ValueError, match="checkpoint_path"):
        model().learn(digits_batches(), resume=True)


def test_history_plot_writes_a_png(tmp_path, digits_batches):
    m = model()
    m.learn(digits_batches(epochs=2))
    path = str(tmp_path / "loss.png")
    m.loss_history.plot(path)
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_progress_bar_is_silent_when_disabled(monkeypatch, capsys, digits_batches):
    monkeypatch.setenv("ACCELBRAINBASE_PROGRESS", "0")
    model().learn(digits_batches(epochs=1))
    assert capsys.readouterr().err == ""


def test_progress_bar_reports_when_forced(monkeypatch, capsys, digits_batches):
    monkeypatch.setenv("ACCELBRAINBASE_PROGRESS", "1")
    model().learn(digits_batches(epochs=1))
    assert "NeuralNetworks" in capsys.readouterr().err


def test_image_grid_writes_a_png_and_rejects_bad_shapes(tmp_path, digits_arrays):
    from accelbrainbase._mxnet.plotting import image_grid

    x = digits_arrays["x_test"][:6]
    path = image_grid([x, nd.array(x.reshape(6, 1, 8, 8))], str(tmp_path / "grid.png"), row_titles=["a", "b"])
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="not square"):
        image_grid([np.ones((2, 10))], str(tmp_path / "bad.png"))
    with pytest.raises(ValueError, match="rank"):
        image_grid([np.ones((2, 2, 2, 2, 2))], str(tmp_path / "bad.png"))
