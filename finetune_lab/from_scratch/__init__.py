"""The math of notebooks 01-03, written out in NumPy.

``losses`` (binary cross-entropy from probabilities and from logits, the
softmax cross-entropy of K classes, and their gradients), ``gradient_step`` (θ ← θ − η∇L(θ) − ηλθ and the empirical
risk), ``logistic_regression`` (the training loop of notebook 03). Each is
checked against tf-keras, ``tf.GradientTape``, scikit-learn or finite
differences in ``tests/``. Nothing here imports TensorFlow.
"""
