"""KLARF inspection files in: a strict 1.2/1.8 parser and landing into landing.inspection and
landing.defect.

Readers judged on spec samples (2026-12): ``klarfio`` 0.9.1 reads 1.2 but crashes on every 1.8
file (``'str' object has no attribute 'starswith'``); ``klarf-reader`` 0.4.3 fails on both
(1.2: ``float() argument ... 'NoneType'`` without optional fields; 1.8: "Unable to read this
format"). Neither reports line numbers, so ``parser`` is our own.
"""
