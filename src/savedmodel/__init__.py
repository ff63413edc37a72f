"""savedmodel: TensorFlow SavedModels without TensorFlow."""
