"""Grafana dashboards: the SDK wrapper, one module per row, one assembler per board, the catalog.

Layout follows grafana-foundation-sdk's linux-node-overview example: each board module
assembles rows, each row module returns its panels, and the panel factories they share
live in sdk.py (the only module that imports the SDK).
"""
