"""The app's bundled files (demo spectra, training-coverage map, icon, launcher template); installed as ``bossnet_gui.resources`` (see ``bossnet_gui.bundled``)."""
