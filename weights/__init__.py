"""The bundled model weights and their model card; installed as ``bossnet_gui.weights`` (see ``bossnet_gui.bundled``)."""
