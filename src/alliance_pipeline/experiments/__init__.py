"""A/B experiments of recommendation strategies and co-marketing campaigns.

registry     ``config/experiments.yml`` (or ``ALLIANCE_EXPERIMENTS``): declared experiments
assignment   a person's variant: a hash of person_key and the experiment's salt (stateless)
metrics      the metric catalogue (per exposed person, after their first exposure)
readout      per-variant sums in DuckDB SQL from exposures, orders, plays, recommendations
stats        lifts, intervals, p-values, CUPED, SRM and sample size from those sums
inputs       the readout's relations from the clean zone and the settled orders
report       the HTML report of one experiment
publish      the nightly task: ``mart.experiment_readout`` and the reports
"""
