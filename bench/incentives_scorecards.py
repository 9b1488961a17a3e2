"""The scorecard benchmark's entry point: ``python -m bench.incentives_scorecards``.

Its body is :mod:`bench.scorecard_batch`. A worker process started with ``spawn`` imports
the ``__main__`` module again, and this one imports nothing more: the batch's workers then
pay what they pay under ``flask scorecards render`` (whose script is as small), not the
benchmark's own imports (the app, pandas and numpy: about 2 CPU-s a worker).
"""

if __name__ == "__main__":
    from bench.scorecard_batch import main

    main()
