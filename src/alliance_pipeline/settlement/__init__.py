"""Revenue settlement and campaign metrics (issue 7).

Money flows as integer minor units (fen for CNY) inside the package and as ``Decimal`` major
units (NUMERIC(18,2) plus a currency column) in the warehouse; never as float.

Entry points for the DAG (import them inside tasks: they pull in pandas and scipy):
``publish.run_settlement`` (nightly), ``close.close_period`` (monthly close) and
``outbound.write_partner_statements`` (partner outbound files).
"""
