"""PADE: the information system of Peru's Programa Articulador de Economía Digital."""

__version__ = "0.1.0"
