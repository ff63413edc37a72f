"""Keras 3 convolutional model covering every conv, pooling, padding and resizing layer family.

Inputs: ``image`` [None, 16, 16, 3], ``sequence`` [None, 20, 4], ``volume`` [None, 6, 6, 6, 2].
Covers: Conv1D/2D/3D (strides, dilation, same/valid padding), DepthwiseConv2D, SeparableConv1D/2D,
Conv2DTranspose, Conv1DTranspose, Conv3DTranspose, Max/Average pooling 1D/2D/3D, global max/average
pooling 1D/2D/3D, BatchNormalization (random statistics), Dropout and SpatialDropout2D at inference,
UpSampling1D/2D (nearest, bilinear)/3D, Resizing (bilinear, nearest), ZeroPadding1D/2D/3D,
Cropping2D, Flatten, Concatenate; dict outputs ``classes`` (softmax) and ``embedding``.
Variants ``saved/`` and ``export/``. Tolerance: rtol 1e-4, atol 1e-4 of the output scale.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _common import Cases, save_keras, setup


def _image_branch(layers, x):
    x = layers.ZeroPadding2D(((1, 0), (2, 1)))(x)
    x = layers.Conv2D(6, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(x)
    x = layers.SeparableConv2D(8, 3, dilation_rate=2, padding="same", activation="relu")(x)
    x = layers.SpatialDropout2D(0.2)(x)
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="valid")(x)
    x = layers.Cropping2D(((1, 0), (0, 1)))(x)
    near = layers.UpSampling2D(2)(layers.MaxPooling2D(2)(x))
    averaged = layers.AveragePooling2D(2, padding="same")(x)
    bilinear = layers.UpSampling2D(2, interpolation="bilinear")(averaged)
    x = layers.Concatenate()([near, bilinear])
    x = layers.Resizing(10, 12)(x)
    x = layers.Resizing(7, 5, interpolation="nearest")(x)
    x = layers.Conv2D(8, (2, 3), padding="valid", use_bias=False)(x)
    return [layers.GlobalAveragePooling2D()(x), layers.GlobalMaxPooling2D()(x), layers.Flatten()(
        layers.MaxPooling2D(3, strides=2, padding="same")(x))]


def _sequence_branch(layers, x):
    x = layers.ZeroPadding1D(2)(x)
    x = layers.Conv1D(8, 5, strides=1, dilation_rate=2, padding="causal", activation="tanh")(x)
    x = layers.SeparableConv1D(6, 3, padding="same")(x)
    x = layers.Conv1DTranspose(5, 3, strides=2)(x)
    x = layers.UpSampling1D(2)(layers.MaxPooling1D(3, strides=2)(x))
    x = layers.AveragePooling1D(2)(x)
    return [layers.GlobalAveragePooling1D()(x), layers.GlobalMaxPooling1D()(x)]


def _volume_branch(layers, x):
    x = layers.ZeroPadding3D(1)(x)
    x = layers.Conv3D(4, 3, padding="valid", activation="relu")(x)
    x = layers.Conv3DTranspose(3, 2, strides=2)(x)
    x = layers.UpSampling3D(1)(layers.MaxPooling3D(2)(x))
    x = layers.AveragePooling3D(2, padding="same")(x)
    return [layers.GlobalAveragePooling3D()(x), layers.GlobalMaxPooling3D()(x)]


def _model():
    import keras
    from keras import layers

    image = keras.Input((16, 16, 3), name="image")
    sequence = keras.Input((20, 4), name="sequence")
    volume = keras.Input((6, 6, 6, 2), name="volume")
    features = [*_image_branch(layers, image), *_sequence_branch(layers, sequence),
                *_volume_branch(layers, volume)]
    joined = layers.Concatenate()(features)
    embedding = layers.Dense(16, activation="relu", name="embedding")(joined)
    classes = layers.Dense(5, activation="softmax", name="classes")(layers.Dropout(0.5)(embedding))
    model = keras.Model([image, sequence, volume], {"classes": classes, "embedding": embedding})
    rng = np.random.RandomState(11)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32)
                               for w in layer.get_weights()])
    return model


def build(out: Path) -> None:
    setup(keras=True)
    rng = np.random.RandomState(12)
    feeds = [{"image": rng.rand(n, 16, 16, 3).astype(np.float32),
              "sequence": rng.randn(n, 20, 4).astype(np.float32),
              "volume": rng.randn(n, 6, 6, 6, 2).astype(np.float32)} for n in (1, 3)]
    cases = Cases()
    save_keras(cases, out, _model(), feeds, rel=1e-4, rtol=1e-4)
    cases.write(out)
