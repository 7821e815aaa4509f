"""Checkpoints hold data, never code; resuming equals the uninterrupted run; paths are checked
before training; a killed run leaves nothing behind."""
import logging
import os
import pickle
import stat
import tempfile
import zipfile

import mxnet as mx
import numpy as np
import pytest

from accelbrainbase._mxnet.checkpoint import ARRAYS, META, save_checkpoint
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from helpers import softmax_ce

MARKER = os.path.join(tempfile.gettempdir(), "accelbrainbase-pickle-ran")


def _touch_marker():
    open(MARKER, "w").close()


class Exploit:
    """Unpickling this runs code (creates MARKER)."""

    def __reduce__(self):
        return _touch_marker, ()


def model(units=32, optimizer_name="adam", learning_rate=0.01, seed=0):
    mx.random.seed(seed)
    return NeuralNetworks(softmax_ce(), units_list=[units, 10], activation_list=["relu", "identity"],
                          dropout_rate_list=[0.0, 0.0], optimizer_name=optimizer_name,
                          learning_rate=learning_rate, ctx=mx.cpu())


def digits(a, epochs=6):
    return ArrayIterator(a["x_train"], a["y_train"], a["x_test"], a["y_test"], n_classes=10, epochs=epochs,
                         batch_size=64, seed=0, ctx=mx.cpu())


def trained_checkpoint(digits_arrays, tmp_path, epochs=2):
    path = str(tmp_path / "run.ckpt")
    model().learn(digits(digits_arrays, epochs=epochs), checkpoint_path=path)
    return path


def parameters(m):
    """Every parameter's value, in structural order (the names' global prefixes differ per instance)."""
    return [p.data().asnumpy() for p in m.collect_params().values()]


# ---------------------------------------------------------------------- no code from a checkpoint
@pytest.mark.parametrize("member", [ARRAYS, META])
def test_a_pickle_planted_in_any_member_is_refused_and_never_run(member, digits_arrays, tmp_path):
    path = trained_checkpoint(digits_arrays, tmp_path)
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    contents[member] = pickle.dumps(Exploit())
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    if os.path.exists(MARKER):
        os.remove(MARKER)
    with pytest.raises(ValueError, match="checkpoint_path '%s'" % path):
        model().learn(digits(digits_arrays), checkpoint_path=path, resume=True)
    assert not os.path.exists(MARKER)


def test_an_old_style_pickled_optimizer_member_is_refused(digits_arrays, tmp_path):
    path = trained_checkpoint(digits_arrays, tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("trainer_trainer.states", pickle.dumps(Exploit()))
    with pytest.raises(ValueError, match="not an accelbrainbase checkpoint of format 2"):
        model().learn(digits(digits_arrays), checkpoint_path=path, resume=True)
    assert not os.path.exists(MARKER)


def _flip_a_byte(path):
    data = bytearray(open(path, "rb").read())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(ARRAYS).header_offset + 100
    data[offset] ^= 0xFF
    open(path, "wb").write(bytes(data))


def _truncate(path):
    data = open(path, "rb").read()
    open(path, "wb").write(data[:len(data) // 2])


def _garbage(path):
    open(path, "wb").write(os.urandom(4096))


@pytest.mark.parametrize("damage, message", [
    (_flip_a_byte, "damaged: member arrays.nd fails its checksum"),
    (_truncate, "not a readable checkpoint"),
    (_garbage, "not a readable checkpoint"),
])
def test_damaged_checkpoints_name_the_path_and_the_damage(damage, message, digits_arrays, tmp_path):
    path = trained_checkpoint(digits_arrays, tmp_path)
    damage(path)
    with pytest.raises(ValueError, match=message):
        model().learn(digits(digits_arrays), checkpoint_path=path, resume=True)


def test_a_checkpoint_of_another_architecture_names_the_parameter(digits_arrays, tmp_path):
    path = trained_checkpoint(digits_arrays, tmp_path)
    with pytest.raises(ValueError, match=r"another architecture: parameter .*weight has shape \(32, 64\)"):
        model(units=16).learn(digits(digits_arrays), checkpoint_path=path, resume=True)


# ---------------------------------------------------------------------- resume = the uninterrupted run
def test_resume_gives_the_same_parameters_as_the_uninterrupted_run(digits_arrays, tmp_path):
    straight = model()
    straight.learn(digits(digits_arrays, epochs=6))

    path = str(tmp_path / "half.ckpt")
    half = model()
    half.learn(digits(digits_arrays, epochs=3), checkpoint_path=path)  # a run that ended after epoch 3
    with zipfile.ZipFile(path) as archive:  # ... as if it had been launched for 6 epochs
        assert set(archive.namelist()) == {ARRAYS, META}
    resumed = model(seed=123)  # other initial weights: everything must come from the checkpoint
    resumed.learn(digits(digits_arrays, epochs=6), checkpoint_path=path, resume=True)
    assert len(resumed.loss_history) == 6 and resumed.fit_state.resumed
    for got, expected in zip(parameters(resumed), parameters(straight)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(resumed.loss_arr[3:], straight.loss_arr[3:], rtol=1e-4)


def test_resuming_with_another_optimizer_or_rate_warns_which_wins(digits_arrays, tmp_path):
    path = trained_checkpoint(digits_arrays, tmp_path)
    with pytest.warns(UserWarning, match="holds adam optimiser state .* uses sgd; the model's fresh sgd state wins"):
        model(optimizer_name="sgd").learn(digits(digits_arrays, epochs=3), checkpoint_path=path, resume=True)
    path = trained_checkpoint(digits_arrays, tmp_path)
    with pytest.warns(UserWarning, match="learning_rate=0.01 but this model has 0.5; the checkpoint's current rate"):
        model(learning_rate=0.5).learn(digits(digits_arrays, epochs=3), checkpoint_path=path, resume=True)


def test_resume_without_a_checkpoint_file_warns_and_trains_from_scratch(digits_arrays, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="accelbrainbase"):
        m = model()
        m.learn(digits(digits_arrays, epochs=1), checkpoint_path=str(tmp_path / "typo.ckpt"), resume=True)
    assert "does not exist yet; training from scratch" in caplog.text
    assert len(m.loss_history) == 1


# ---------------------------------------------------------------------- paths, files and modes
def test_checkpoint_paths_are_checked_before_training(digits_arrays, tmp_path, monkeypatch):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    m = model()
    m.inference(mx.nd.array(digits_arrays["x_test"][:2]))  # initialise the deferred shapes
    before = parameters(m)
    with pytest.raises(ValueError, match="does not exist \\(or is a file\\)"):
        m.learn(digits(digits_arrays), checkpoint_path=str(a_file / "run.ckpt"))
    with pytest.raises(ValueError, match="is a folder"):
        m.learn(digits(digits_arrays), checkpoint_path=str(tmp_path))
    monkeypatch.setattr(os, "access", lambda *args: False)
    with pytest.raises(ValueError, match="is not writable"):
        m.learn(digits(digits_arrays), checkpoint_path=str(tmp_path / "run.ckpt"))
    monkeypatch.undo()
    for value, unchanged in zip(parameters(m), before):  # nothing trained
        np.testing.assert_array_equal(value, unchanged)


def test_tilde_is_expanded_and_the_mode_follows_the_umask(digits_arrays, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    old = os.umask(0o027)
    try:
        model().learn(digits(digits_arrays, epochs=1), checkpoint_path="~/run.ckpt")
    finally:
        os.umask(old)
    path = tmp_path / "run.ckpt"
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_stale_temporaries_are_removed_and_nothing_is_written_elsewhere(digits_arrays, tmp_path, monkeypatch):
    run_dir, scratch = tmp_path / "run", tmp_path / "system-temp"
    run_dir.mkdir()
    scratch.mkdir()
    stale = [run_dir / ".run.ckpt.abc123.tmp", run_dir / ".run.ckpt.def456.arrays.tmp"]
    for path in stale:
        path.write_bytes(b"left by kill -9")
    other = run_dir / ".other.ckpt.zzz.tmp"  # another checkpoint's temporary is not ours to remove
    other.write_bytes(b"x")
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    model().learn(digits(digits_arrays, epochs=1), checkpoint_path=str(run_dir / "run.ckpt"))
    assert sorted(p.name for p in run_dir.iterdir()) == [".other.ckpt.zzz.tmp", "run.ckpt"]
    assert list(scratch.iterdir()) == []


def test_save_checkpoint_refuses_state_it_cannot_store_as_data(tmp_path):
    m = model()
    m.inference(mx.nd.ones((2, 64)))
    m.trainer._updaters[0].states[0] = object()
    with pytest.raises(ValueError, match="Cannot store an optimiser state of type object"):
        save_checkpoint(str(tmp_path / "x.ckpt"), m, m.trainers(), {"epoch": 0})


def test_interrupts_leave_a_visible_flag_and_a_warning(digits_arrays, caplog):
    class CtrlC(NeuralNetworks):
        def epoch_metrics(self):
            if self.epoch == 1:
                raise KeyboardInterrupt
            return {}

    mx.random.seed(0)
    m = CtrlC(softmax_ce(), units_list=[16, 10], activation_list=["relu", "identity"],
              dropout_rate_list=[0.0, 0.0], optimizer_name="adam", learning_rate=0.01, ctx=mx.cpu())
    with caplog.at_level(logging.WARNING, logger="accelbrainbase"):
        m.learn(digits(digits_arrays, epochs=4))  # returns normally, as the contract says
    assert m.interrupted and len(m.loss_history) == 1
    assert "interrupted by the user in epoch 2" in caplog.text
