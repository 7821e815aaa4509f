"""pysummarization 1.1.9 (in the ``test`` extra) runs unchanged on this library: its mxnet
``ObservingMedia`` builds a ``TransformingAutoEncoderController`` and pysummarization's own
10-tuple ``TokenTransformingAutoEncoderIterator`` (a ``TransformerIterator``), learns, and
extracts "media" and "form" token pairs ranked by reconstruction loss."""
import mxnet as mx
import numpy as np

from pysummarization.abstractablesemantics._mxnet.observing_media import ObservingMedia
from pysummarization.tokenizabledoc.simple_tokenizer import SimpleTokenizer

from accelbrainbase.controllablemodel._mxnet.transforming_auto_encoder_controller import \
    TransformingAutoEncoderController

CORPUS = """The cat sat on the mat and the dog sat on the rug
The dog chased the cat around the garden and the cat climbed a tree
A bird sang in the tree while the cat watched the bird
The children played in the garden with the dog and the ball
The ball rolled under the tree and the dog ran after the ball
In the evening the cat slept on the mat near the warm fire
The bird flew over the garden and the children watched the bird
The dog slept on the rug and the children read a book by the fire"""
STOP_WORDS = ["the", "and", "a", "on", "in", "by", "with", "of"]


def test_observing_media_learns_and_extracts():
    mx.random.seed(0)
    np.random.seed(0)
    media = ObservingMedia(CORPUS, SimpleTokenizer(), stop_words_list=STOP_WORDS, epochs=20, batch_size=8,
                           head_n=4, seq_len=2, ctx=mx.cpu(), hidden_dim=32, learning_rate=1e-3, layer_n=1,
                           dropout_rate=0.0)
    controller = media.transformer_controller
    assert isinstance(controller, TransformingAutoEncoderController)
    media.learn()
    losses = controller.loss_arr
    assert losses.shape == (20, 2)
    # softmax cross-entropy over a ~50-token vocabulary starts near ln(50) ≈ 3.9
    assert losses[-3:, 1].mean() < 0.7 * losses[:3, 1].mean(), losses

    media_df = media.extract_media(test_mode=True)
    assert list(media_df.columns) == ["loss", "token"] and len(media_df) > 10
    assert np.isfinite(media_df.loss.values).all()
    assert media_df.loss.is_monotonic_increasing
    corpus_tokens = set(CORPUS.split())
    first = [token.strip() for token in media_df.token.values[0].split(",")]
    assert len(first) == 2 and set(first) <= corpus_tokens

    form_df = media.extract_form(first, test_mode=True)
    assert len(form_df) > 10 and np.isfinite(form_df.loss.values).all()
