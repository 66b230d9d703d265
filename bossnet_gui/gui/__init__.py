"""The desktop app: one CatalogModel owns rows, selection and filter; widgets subscribe to its signals.

``app.main(argv)`` starts it. Each control lives in its own small module (``kiel_plot``,
``spectrum_plot``, ``results_panel``, ``catalog_table``...); ``main_window`` only lays them out
and wires actions. Long work (reading, inference, export) runs in superqt workers (``workers``).
"""
