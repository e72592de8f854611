"""Built-in SageMaker algorithms, run in-process instead of in their Docker images.

Each sub-package is a work layer with no knowledge of moto, boto3 or HTTP: the
emulator prepares an ``/opt/ml``-shaped job folder or a model archive and calls it.
"""
