"""Zhanye 展业: field-banking and digital-lending platform for rural and small banks."""

__version__ = "0.1.0"
