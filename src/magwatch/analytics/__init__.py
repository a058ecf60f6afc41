"""Analytics written once as Ibis expressions over the store's latest table.

Each module takes Ibis tables and returns Ibis expressions, so the same code runs
on the embedded DuckDB store and on any other Ibis backend (PySpark for the scale
tier): no SQL strings and no backend-specific functions here.

* :mod:`series`        one figure per partner-month (official before press, no sums)
* :mod:`changes`       m/m, y/y, year to date, streaks, highest / lowest since
* :mod:`ranks`         ranks and shares among destinations with data
* :mod:`concentration` HHI with named thresholds, top shares, dependence
* :mod:`anomalies`     robust z-scores of log changes and against the seasonal norm
* :mod:`audit`         reported vs computed, with reasons for disagreements
* :mod:`monitor`       the monthly monitor assembled from the above
"""
