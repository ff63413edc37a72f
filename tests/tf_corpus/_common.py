"""Build-side helpers shared by the corpus generators: seeding, and recording TensorFlow's outputs.

Imported only inside the build subprocess (``_build.py``), so importing TensorFlow here is fine.
Cases are recorded by calling the model as TensorFlow *loads it back* (``tf.saved_model.load`` for
TF2, a v1 ``Session`` for TF1), so the expected values are those of the saved artefact.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from _codec import Encoder, flatten

DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-6


def setup(seed: int = 0, keras: bool = False) -> None:
    """Makes a build deterministic and single-threaded (two builds share the two cores)."""
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    if keras:
        import keras as keras_module

        keras_module.utils.set_random_seed(seed)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # the context was already initialised by the generator
        pass


def to_numpy(value: Any) -> Any:
    """A tf.Tensor (or nested structure of them) as NumPy; strings as ``object`` arrays of bytes."""
    if isinstance(value, Mapping):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_numpy(v) for v in value)
    if value is None:
        return None
    if isinstance(value, tf.Tensor):
        if value.dtype == tf.string:
            return np.array(value.numpy(), dtype=object)
        return np.asarray(value.numpy())
    return value


def to_tf(value: Any) -> Any:
    """NumPy inputs (nested) as tf tensors; string arrays become tf.string."""
    if isinstance(value, Mapping):
        return {k: to_tf(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_tf(v) for v in value)
    return tf.constant(value)


def strings(items: Iterable[Any], shape: tuple[int, ...] | None = None) -> np.ndarray:
    """An ``object`` array of bytes (str items are UTF-8 encoded)."""
    data = [item.encode("utf-8") if isinstance(item, str) else bytes(item) for item in items]
    out = np.empty(len(data), dtype=object)
    out[:] = data
    return out.reshape(shape if shape is not None else (len(data),))


def scaled_atol(outputs: Any, rel: float) -> float:
    """``rel`` times the largest magnitude among the floating outputs (deep nets' tolerance)."""
    peak = 0.0
    for leaf in flatten(outputs).values():
        array = np.asarray(leaf)
        if array.dtype.kind in "fc" and array.size:
            peak = max(peak, float(np.max(np.abs(array.astype(np.complex128)))))
    return rel * peak if peak else rel


class Cases:
    """Collects cases (inputs fed and outputs TensorFlow returned) and writes cases.json/npz."""

    def __init__(self) -> None:
        self._encoder = Encoder()
        self._cases: list[dict] = []

    def add(self, *, model: str, outputs: Any, signature: str | None = None,
            function: str | None = None, inputs: Mapping[str, Any] | None = None,
            args: Iterable[Any] = (), tags: Iterable[str] = ("serve",),
            rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL, note: str = "",
            error: Mapping[str, str] | None = None) -> None:
        """Records one case; exactly one of ``signature`` / ``function`` names what was called.

        ``error`` (``type``, ``match``, ``message``) records a call TensorFlow refused instead.
        """
        if (signature is None) == (function is None):
            raise ValueError("A case calls either a signature or a function.")
        target = (model, "sig", signature) if signature is not None else (model, "fn", function)
        name = ":".join(target) + f":{sum(1 for c in self._cases if c['target'] == target)}"
        enc = self._encoder
        self._cases.append({
            "name": name, "target": target, "model": model, "tags": sorted(tags),
            "signature": signature, "function": function, "note": note,
            "args": [enc.nest(a) for a in args],
            "inputs": {k: enc.nest(inputs[k]) for k in sorted(inputs or {})},
            "outputs": enc.nest(outputs), "rtol": rtol, "atol": atol, "error": error,
        })

    def write(self, out: Path) -> None:
        """Writes ``out/cases.json`` and ``out/cases.npz``."""
        cases = [{k: v for k, v in c.items() if k != "target"} for c in self._cases]
        self._encoder.save({"cases": cases}, out / "cases.json", out / "cases.npz")


def record_signatures(cases: Cases, out: Path, model: str,
                      feeds: Mapping[str, Iterable[Mapping[str, np.ndarray]]],
                      rel: float | None = None, **tol: Any) -> Any:
    """Loads ``out/model`` with TF2, records each signature on each feed; returns the object.

    ``rel`` sets atol to ``rel`` times the output scale (deep networks); ``tol`` passes rtol/atol.
    """
    loaded = tf.saved_model.load(str(out / model))
    for key, feed_list in feeds.items():
        fn = loaded.signatures[key]
        for feed in feed_list:
            result = to_numpy(fn(**to_tf(feed)))
            extra = dict(tol, atol=scaled_atol(result, rel)) if rel else tol
            cases.add(model=model, signature=key, inputs=feed, outputs=result, **extra)
    return loaded


def record_function(cases: Cases, loaded: Any, model: str, path: str, args: Iterable[Any] = (),
                    kwargs: Mapping[str, Any] | None = None, rel: float | None = None,
                    **tol: Any) -> Any:
    """Calls ``loaded.<path>(*args, **kwargs)`` (path dotted, e.g. ``sub.f`` or ``__call__``)."""
    fn = loaded
    for part in path.split("."):
        fn = getattr(fn, part)
    args = list(args)
    result = to_numpy(fn(*to_tf(args), **to_tf(dict(kwargs or {}))))
    extra = dict(tol, atol=scaled_atol(result, rel)) if rel else tol
    cases.add(model=model, function=path, args=args, inputs=kwargs, outputs=result, **extra)
    return result


def record_error(cases: Cases, loaded: Any, model: str, match: str, *, signature: str | None = None,
                 function: str | None = None, args: Iterable[Any] = (),
                 inputs: Mapping[str, Any] | None = None) -> None:
    """Records a call that TensorFlow refuses with a ``tf.errors.OpError`` containing ``match``."""
    if signature is not None:
        fn = loaded.signatures[signature]
    else:
        fn = loaded
        for part in function.split("."):
            fn = getattr(fn, part)
    args = list(args)
    try:
        fn(*to_tf(args), **to_tf(dict(inputs or {})))
    except tf.errors.OpError as exc:
        if match not in exc.message:
            raise RuntimeError(f"TF's error lacks {match!r}: {exc.message}") from exc
        error = {"type": type(exc).__name__, "match": match, "message": exc.message}
        cases.add(model=model, signature=signature, function=function, args=args, inputs=inputs,
                  outputs=None, error=error)
        return
    raise RuntimeError(f"{model}: {signature or function} did not fail as the corpus expects.")


def record_tf1_signature(cases: Cases, export_dir: Path, model: str, tags: Iterable[str], key: str,
                         feeds: Iterable[Mapping[str, np.ndarray]], **tol: Any) -> None:
    """Loads a TF1 SavedModel in a v1 Session and records signature ``key`` on each feed dict."""
    tags = list(tags)
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, tags, str(export_dir))
        sig = meta.signature_def[key]
        fetch_keys = sorted(sig.outputs)
        fetches = [graph.get_tensor_by_name(sig.outputs[k].name) for k in fetch_keys]
        for feed in feeds:
            feed_dict = {graph.get_tensor_by_name(sig.inputs[k].name): v for k, v in feed.items()}
            values = sess.run(fetches, feed_dict=feed_dict)
            result = {k: _session_value(v) for k, v in zip(fetch_keys, values, strict=True)}
            cases.add(model=model, signature=key, tags=tags, inputs=feed, outputs=result, **tol)


def _session_value(value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind in "SUO":
        return np.array(value, dtype=object)
    return array


def _signature_feed(fn: Any, feed: Mapping[str, np.ndarray], order: list[str]) -> dict:
    """``feed`` keyed by the signature's own input names.

    tf.saved_model.save names a Keras model's inputs ``inputs``, ``inputs_1``... in ``model.inputs``
    order (``order``); model.export keeps the Keras input names.
    """
    names = list(fn.structured_input_signature[1])
    if sorted(names) == sorted(feed):
        return dict(feed)
    positional = sorted(names, key=lambda n: int(n.rpartition("_")[2]) if n[-1].isdigit() else 0)
    if len(positional) != len(order):
        raise KeyError(f"Signature inputs {names}, feed has {sorted(feed)}.")
    return {name: feed[key] for name, key in zip(positional, order, strict=True)}


def _input_structure(model: Any) -> Any:
    """The inputs' nesting that Keras's ``serve`` endpoint expects (Sequential: one tensor)."""
    try:
        return model.input
    except AttributeError:  # a Sequential model never called on a symbolic input
        return model.inputs[0] if len(model.inputs) == 1 else model.inputs


def save_keras(cases: Cases, out: Path, model: Any, feeds: list[Mapping[str, np.ndarray]],
               prefix: str = "", rel: float | None = None, **tol: Any) -> None:
    """Saves a Keras model as ``<prefix>saved`` (tf.saved_model.save) and ``<prefix>export``
    (model.export), and records each signature on each feed (keyed by Keras input names) and the
    exported ``serve`` function (called with ``model.input``'s structure)."""
    tf.saved_model.save(model, str(out / f"{prefix}saved"))
    model.export(str(out / f"{prefix}export"))
    for variant in (f"{prefix}saved", f"{prefix}export"):
        loaded = tf.saved_model.load(str(out / variant))
        names = [t.name.split(":")[0] for t in model.inputs]
        for key in sorted(loaded.signatures):
            fn = loaded.signatures[key]
            for feed in feeds:
                feed = _signature_feed(fn, feed, names)
                result = to_numpy(fn(**to_tf(feed)))
                extra = dict(tol, atol=scaled_atol(result, rel)) if rel else tol
                cases.add(model=variant, signature=key, inputs=feed, outputs=result, **extra)
        if hasattr(loaded, "serve"):
            structure = _input_structure(model)
            for feed in feeds:
                structured = tf.nest.map_structure(lambda t, f=feed: f[t.name], structure)
                record_function(cases, loaded, variant, "serve", args=[structured], rel=rel, **tol)
