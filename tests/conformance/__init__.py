"""The conformance suite: Kubernetes API behaviour every door of the simulator must show."""
