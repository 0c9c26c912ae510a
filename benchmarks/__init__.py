"""Side-by-side speed, memory and quality benchmarks of skdae.

Not part of the test suite: nothing here asserts a timing. Run
``python -m benchmarks --help`` from the repository root.
"""
