"""The draw shared by the auto-encoding generators (adversarial auto-encoders)."""
from __future__ import annotations

import mxnet as mx


def autoencoding_draw(generative_model):
    """``(generated, observed, decoded)``: the observed batch, its code and its reconstruction.

    ``observed`` is the noise draw (no condition sampler), or ``sampled + noise`` /
    ``condition + noise`` from the condition sampler; ``generated`` is the encoder's code
    (with the condition appended on ``conditonal_dim`` when the condition sampler has a model).
    """
    model = generative_model.model
    condition_sampler = generative_model.condition_sampler
    appended = None
    if condition_sampler is None:
        observed = generative_model.noise()
        if observed is None:
            raise ValueError("%s.draw() needs a noise_sampler or a condition_sampler."
                             % type(generative_model).__name__)
    else:
        condition_arr, sampled_arr = generative_model.condition()
        if sampled_arr is not None:
            observed, appended = generative_model._with_noise(sampled_arr), condition_arr
        else:
            observed = generative_model._with_noise(condition_arr)
    encoded = model.encoder(observed)
    decoded = model.decoder(encoded)
    generated = encoded if appended is None else mx.nd.concat(encoded, appended,
                                                               dim=generative_model.conditonal_dim)
    return generated, observed, decoded
