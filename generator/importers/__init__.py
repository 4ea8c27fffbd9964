"""Importers: data from registries and bibliographic databases -> draft record text."""
